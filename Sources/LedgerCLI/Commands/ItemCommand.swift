import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto

struct ItemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item",
        abstract: "Seize, image, examine, seal, store and dispose of evidence items; show where they are.",
        discussion: """
            Custody moves between people with `ledger transfer` and `ledger receive`.

            Examples:
              ledger item seize EV-0001 --case OP-SYNERGIA --exhibit JD/1 --kind laptop \\
                  --description "Grey laptop, sticker on lid" --serial 5CD1234XYZ \\
                  --seal SEAL-0001 --location "Evidence room B" \\
                  --from "Flat 3, case-file ref. A-17" --authority "Warrant 2024/881" \\
                  --key carol.pem --witness-key dan.pem
              ledger item acquire EV-0001 --image disk.raw --tool "dd" \\
                  --tool-version 9.4 --source-sha256 <hex> --key erin.pem
              ledger item show EV-0001
              ledger item history EV-0001
            """,
        subcommands: [
            Seize.self, Acquire.self, Show.self, History.self, CheckOut.self, CheckIn.self, Store.self, Seal.self,
            Unseal.self, Examine.self, Dispose.self, CancelRelease.self, Refuse.self, Lost.self, Reassign.self,
        ])

    struct Seize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a seizure (item.seized).",
            discussion: """
                Example:
                  ledger item seize EV-0001 --case OP-1 --exhibit JD/1 --kind laptop \\
                      --description "Grey laptop" --seal SEAL-0001 --location "Room B" \\
                      --from "Flat 3" --authority "Warrant 2024/881" --key carol.pem \\
                      --witness-key dan.pem
                """)
        @Argument(help: "The item id ([A-Za-z0-9._-], up to 64), e.g. EV-0001.") var id: String
        @Option(name: .customLong("case"), help: "The case.") var caseID: String
        @Option(help: "The exhibit number.") var exhibit: String
        @Option(help: "laptop, phone, hard-disk, server, storage-media or other.") var kind: String
        @Option(help: "What it is.") var description: String
        @Option(help: "Serial number.") var serial: String?
        @Option(help: "IMEI.") var imei: String?
        @Option(help: "ICCID.") var iccid: String?
        @Option(help: "Device state, e.g. \"powered off, in Faraday bag\".") var deviceState: String?
        @Option(help: "The seal number, if sealed.") var seal: String?
        @Option(help: "Where it is kept now.") var location: String
        @Option(help: "When it was seized (RFC 3339 with offset; default now).") var at: String?
        @Option(name: .customLong("from"), help: "Where it was seized.") var seizedFrom: String
        @Option(help: "The legal authority (warrant reference).") var authority: String
        @Option(help: "The target it came from.") var target: String?
        @Option(help: "The item it was taken out of.") var parent: String?
        @Option(help: ArgumentHelp("The witnessing officer's key file: they co-sign.", valueName: "file"))
        var witnessKey: String?
        @Option(
            help: ArgumentHelp(
                "With --out: the witnessing officer's key id; they co-sign the statement file later (`ledger cosign`).",
                valueName: "key id"))
        var witness: String?
        @Option(
            help: ArgumentHelp("A photo taken at the seizure (repeat); its hashes are recorded.", valueName: "file"))
        var photo: [String] = []
        @OptionGroup var event: EventOptions

        func run() throws {
            var data = DataBuilder()
            data["case"] = caseID
            data["exhibit"] = exhibit
            data["kind"] = kind
            data["description"] = description
            data["serial"] = serial
            data["imei"] = imei
            data["iccid"] = iccid
            data["device_state"] = deviceState
            data["seal"] = seal
            data["location"] = location
            data["occurred_at"] = at ?? nowRFC3339()
            data["seized_from"] = seizedFrom
            data["legal_authority"] = authority
            data["target"] = target
            data["parent"] = parent
            var coSigners: [Ed25519PrivateKey] = []
            if let witnessKey {
                let witness = try event.passphrase.loadKey(witnessKey)
                coSigners.append(witness)
                data["witness_key"] = KeyFiles.keyID(witness.publicKey)
            }
            data["witness_key"] = try event.laterWitness(witness, alongside: witnessKey)
            if !photo.isEmpty {
                var hashes: [JSONValue] = []
                for path in photo {
                    do { hashes.append(CustodyForms.hashList(try FileHasher.hash(path: path))) } catch {
                        throw LedgerError.usage(error.description)
                    }
                }
                data.set("photos", .array(hashes))
            }
            try event.record(
                CustodyEvents.itemSeized, stream: CustodyStreams.item(id), data: data, coSigners: coSigners,
                summary: "\(id) (\(kind)) held by you")
        }
    }

    struct Acquire: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a forensic image (item.acquired), hashing each image file once.",
            discussion: """
                Each file is read once computing SHA-256, SHA-1 and MD5 together. With one image file, the \
                verification matched when its SHA-256 equals --source-sha256 (a raw image of the whole medium); \
                for a segmented image say --verified or --not-verified as the imaging tool reported.

                Example:
                  ledger item acquire EV-0001 --image disk.E01 --image disk.E02 \\
                      --tool ewfacquire --tool-version 20231119 --source-sha256 <hex> \\
                      --verified --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: ArgumentHelp("An image file or segment (repeat in order).", valueName: "file"))
        var image: [String] = []
        @Option(help: "The imaging tool.") var tool: String
        @Option(help: "Its version.") var toolVersion: String
        @Option(help: "The write-blocker used.") var writeBlocker: String?
        @Option(help: "The source medium's SHA-256 as the imaging tool reported it.") var sourceSha256: String
        @Option(help: "The source medium's SHA-1, if reported.") var sourceSha1: String?
        @Option(help: "The source medium's MD5, if reported.") var sourceMd5: String?
        @Flag(help: "The imaging tool's verification matched (segmented images).") var verified = false
        @Flag(help: "The imaging tool's verification did not match.") var notVerified = false
        @Option(help: "Notes.") var notes: String?
        @OptionGroup var event: EventOptions

        func validate() throws {
            if image.isEmpty { throw ValidationError("give at least one --image file") }
            if verified && notVerified { throw ValidationError("--verified and --not-verified exclude each other") }
            if image.count > 1 && !verified && !notVerified {
                throw ValidationError("for a segmented image say --verified or --not-verified")
            }
        }

        func run() throws {
            var images: [CustodyForms.Image] = []
            let total = image.reduce(Int64(0)) { sum, path in
                sum + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0)
            }
            let progress = ProgressLine(label: "hashing", total: total)
            var done: Int64 = 0
            for path in image {
                let digests: FileDigests
                do { digests = try FileHasher.hash(path: path) { progress.update(done + $0) } } catch {
                    throw LedgerError.usage(error.description)
                }
                done += digests.size
                images.append(
                    CustodyForms.Image(name: URL(fileURLWithPath: path).lastPathComponent, digests: digests))
            }
            progress.finish()
            let reportedVerdict: Bool? = verified ? true : (notVerified ? false : nil)
            let (data, matched) = try CustodyForms.acquisition(
                tool: tool, toolVersion: toolVersion, writeBlocker: writeBlocker,
                source: CustodyForms.SourceHashes(md5: sourceMd5, sha1: sourceSha1, sha256: sourceSha256),
                images: images, reportedVerified: reportedVerdict, notes: notes)
            try event.record(
                CustodyEvents.itemAcquired, stream: CustodyStreams.item(item), json: data,
                summary: "\(image.count) image file(s), verification \(matched ? "matched" : "DID NOT match")")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Where an item is, who holds it, its seal and hashes.",
            discussion: """
                Examples:
                  ledger item show EV-0001
                  ledger item show EV-0001 --json > ev1.head.json
                """)
        @Argument(help: "The item.") var item: String
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try location.openForReading()
            guard let (record, steps) = try CustodyQueries.item(item, in: store) else {
                throw LedgerError.notFound("no item \(item) (see `ledger items`)")
            }
            if json {
                var object = record.jsonValue
                if case .object(var members) = object {
                    members.append(JSONMember("custody_chain", .array(steps.map(\.jsonValue))))
                    // Version 2: what `ledger sign --head` needs to sign the item's next statement away from here.
                    if let position = try? StreamPosition.of("item/\(record.id)", in: store) {
                        members.append(JSONMember("head", position.json))
                    }
                    object = .object(members)
                }
                printJSON(object)
                return
            }
            print(ItemReport.summary(record))
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The item's custody chain, as a paper custody form lists it.",
            discussion: """
                Example:
                  ledger item history EV-0001
                """)
        @Argument(help: "The item.") var item: String
        @OptionGroup var location: LedgerOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try location.openForReading()
            guard let (record, steps) = try CustodyQueries.item(item, in: store) else {
                throw LedgerError.notFound("no item \(item) (see `ledger items`)")
            }
            if json {
                printJSONLines(steps.map(\.jsonValue))
                return
            }
            print(ItemReport.history(record, steps, signedAt: try StatementTimes.signedAt(steps.map(\.seq), in: store)))
        }
    }

    struct CheckOut: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-out", abstract: "Check an item out to an examiner in the lab.",
            discussion: """
                Example:
                  ledger item check-out EV-0001 --to erin --purpose "Imaging" \\
                      --key carol.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "The examiner's person id.") var to: String
        @Option(help: "Why.") var purpose: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemCheckedOut, stream: CustodyStreams.item(item),
                data: DataBuilder(["to": to, "purpose": purpose]))
        }
    }

    struct CheckIn: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-in", abstract: "Check an item back in after examination.",
            discussion: """
                Example:
                  ledger item check-in EV-0001 --location "Room B" --condition "as sent" \\
                      --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "Where it is kept now.") var location: String?
        @Option(help: "Its condition.") var condition: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemCheckedIn, stream: CustodyStreams.item(item),
                data: DataBuilder(["location": location, "condition": condition]))
        }
    }

    struct Store: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record where an item is stored.",
            discussion: """
                Example:
                  ledger item store EV-0001 --location "Evidence room B, shelf 4" \\
                      --key carol.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "The storage location.") var location: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemStored, stream: CustodyStreams.item(item), data: DataBuilder(["location": location]))
        }
    }

    struct Seal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal an item.",
            discussion: """
                Example:
                  ledger item seal EV-0001 --seal SEAL-0002 --reason "After imaging" \\
                      --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "The seal number.") var seal: String
        @Option(help: "Why.") var reason: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemSealed, stream: CustodyStreams.item(item),
                data: DataBuilder(["seal": seal, "reason": reason]))
        }
    }

    struct Unseal: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Break an item's seal.",
            discussion: """
                Example:
                  ledger item unseal EV-0001 --seal SEAL-0001 --reason "Imaging" \\
                      --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "The seal number being broken.") var seal: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemUnsealed, stream: CustodyStreams.item(item),
                data: DataBuilder(["seal": seal, "reason": reason]))
        }
    }

    struct Examine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an examination and its report.",
            discussion: """
                Example:
                  ledger item examine EV-0001 --summary "Chat logs recovered" \\
                      --report "NL-LAB 2024/17" --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "What was found.") var summary: String
        @Option(help: "The report's reference.") var report: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemExamined, stream: CustodyStreams.item(item),
                data: DataBuilder(["summary": summary, "report_reference": report]))
        }
    }

    struct Dispose: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return, destroy or release an item (item.disposed); nothing happens to it afterwards.",
            discussion: """
                Example:
                  ledger item dispose EV-0001 --method destroyed \\
                      --authority "Court order 12" --key carol.pem --witness-key dan.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "returned-to-owner, destroyed or released.") var method: String
        @Option(help: "The authority for it.") var authority: String
        @Option(help: "The case-file reference of the person receiving it (no names or addresses).")
        var recipientReference: String?
        @Option(help: "Details.") var details: String?
        @Option(help: ArgumentHelp("A witness's key file: they co-sign.", valueName: "file")) var witnessKey: String?
        @Option(
            help: ArgumentHelp(
                "With --out: the witness's key id; they co-sign the statement file later (`ledger cosign`).",
                valueName: "key id"))
        var witness: String?
        @OptionGroup var event: EventOptions

        func run() throws {
            var data = DataBuilder()
            data["method"] = method
            data["authority"] = authority
            data["recipient_reference"] = recipientReference
            data["details"] = details
            var coSigners: [Ed25519PrivateKey] = []
            if let witnessKey {
                let witness = try event.passphrase.loadKey(witnessKey)
                coSigners.append(witness)
                data["witness_key"] = KeyFiles.keyID(witness.publicKey)
            }
            data["witness_key"] = try event.laterWitness(witness, alongside: witnessKey)
            try event.record(
                CustodyEvents.itemDisposed, stream: CustodyStreams.item(item), data: data, coSigners: coSigners)
        }
    }

    struct CancelRelease: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel-release", abstract: "Cancel your release of an item still in transit.",
            discussion: """
                Example:
                  ledger item cancel-release EV-0001 --reason "Courier cancelled" \\
                      --key carol.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyReleaseCancelled, stream: CustodyStreams.item(item),
                data: DataBuilder(["reason": reason])
            )
        }
    }

    struct Refuse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refuse receipt of an item sent to you; it goes back to the sender.",
            discussion: """
                Example:
                  ledger item refuse EV-0001 --reason "Seal missing" --key erin.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyReceiptRefused, stream: CustodyStreams.item(item),
                data: DataBuilder(["reason": reason]))
        }
    }

    struct Lost: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report an item lost in transit.",
            discussion: """
                Example:
                  ledger item lost EV-0001 --details "Parcel not delivered" --key carol.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "What is known.") var details: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyLost, stream: CustodyStreams.item(item), data: DataBuilder(["details": details]))
        }
    }

    struct Reassign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reassign an item to another person when its holder can no longer act (supervisors).",
            discussion: """
                Example:
                  ledger item reassign EV-0001 --to erin --reason "Holder on leave" \\
                      --key sam.pem
                """)
        @Argument(help: "The item.") var item: String
        @Option(help: "The new holder's person id.") var to: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyReassigned, stream: CustodyStreams.item(item),
                data: DataBuilder(["to": to, "reason": reason]))
        }
    }
}

struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Release an item you hold to another person (custody.released); it is in transit until received.",
        discussion: """
            Example:
              ledger transfer EV-0001 --to erin --purpose "Imaging at the NL lab" \\
                  --seal SEAL-0001 --courier "DHL Express" --tracking 1234567890 \\
                  --key carol.pem
            """)
    @Argument(help: "The item.") var item: String
    @Option(help: "The recipient's person id.") var to: String
    @Option(help: "Why it is handed over.") var purpose: String
    @Option(help: "The seal number on the item now (required when it is sealed).") var seal: String?
    @Option(help: "The courier.") var courier: String?
    @Option(help: "The courier's tracking reference.") var tracking: String?
    @OptionGroup var event: EventOptions

    func run() throws {
        var data = DataBuilder()
        data["to"] = to
        data["purpose"] = purpose
        data["seal"] = seal
        data["courier"] = courier
        data["tracking"] = tracking
        try event.record(
            CustodyEvents.custodyReleased, stream: CustodyStreams.item(item), data: data, summary: "in transit to \(to)"
        )
    }
}

struct ReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Receive an item sent to you (custody.received), recording the seal check.",
        discussion: """
            Example:
              ledger receive EV-0001 --seal SEAL-0001 --location "NL lab, safe 2" \\
                  --key erin.pem
              ledger receive EV-0002 --seal SEAL-0002 --seal-broken \\
                  --condition "tape cut" --key erin.pem
            """)
    @Argument(help: "The item.") var item: String
    @Option(help: "The seal number you see on the item.") var seal: String?
    @Flag(help: "The seal is broken or tampered with.") var sealBroken = false
    @Option(help: "The item's condition.") var condition: String?
    @Option(help: "Where you keep it.") var location: String?
    @OptionGroup var event: EventOptions

    func run() throws {
        let data = try CustodyForms.receipt(
            item: item, seal: seal, sealBroken: sealBroken, condition: condition, location: location,
            in: event.isOffline ? nil : try event.location.openForReading())
        try event.record(
            CustodyEvents.custodyReceived, stream: CustodyStreams.item(item), json: data,
            summary: sealBroken ? "received; SEAL BROKEN recorded" : "received; seal intact")
    }
}

struct ItemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items", abstract: "List items: where they are and who holds them.",
        discussion: """
            Examples:
              ledger items --case OP-SYNERGIA
              ledger items --holder erin --status in-custody
              ledger items --status in-transit --json
            """)
    @OptionGroup var location: LedgerOptions
    @Option(name: .customLong("case"), help: "Only this case.") var caseID: String?
    @Option(help: "Only items this person holds.") var holder: String?
    @Option(help: "in-custody, in-transit, checked-out, lost or disposed.") var status: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try location.openForReading()
        try QueryFilters.checkItemStatus(status)
        try QueryFilters.checkCase(caseID, in: store)
        try QueryFilters.checkPerson(holder, option: "--holder", in: store)
        let items = try CustodyQueries.items(in: store, caseID: caseID, holder: holder, status: status)
        if json {
            printJSONLines(items.map(\.jsonValue))
            return
        }
        if items.isEmpty {
            print("no items match")
            return
        }
        print(
            Table.render(
                header: ["ITEM", "CASE", "EXHIBIT", "KIND", "STATUS", "HOLDER", "SEAL", "LOCATION"],
                rows: items.map { item in
                    [
                        item.id, item.caseID, item.exhibit, item.kind,
                        item.status + (item.pendingTo.map { " → \($0)" } ?? ""), item.holder,
                        (item.seal ?? "-") + (item.sealIncident ? " (!)" : ""), item.location,
                    ]
                }))
    }
}

/// Item text for people: the summary and the paper-form history.
enum ItemReport {
    static func summary(_ item: ItemRecord) -> String {
        var lines = [
            "item       \(item.id)   exhibit \(item.exhibit)   case \(item.caseID)",
            "kind       \(item.kind): \(corrected(item, "description", item.description))",
        ]
        switch item.status {
        case ItemStatus.inTransit:
            lines.append("status     IN TRANSIT from \(item.holder) to \(item.pendingTo ?? "?")")
        case ItemStatus.checkedOut:
            lines.append("status     checked out to \(item.checkedOutTo ?? "?") (holder \(item.holder))")
        default:
            lines.append("status     \(item.status)")
        }
        lines.append("holder     \(item.holder)")
        lines.append("location   \(corrected(item, "location", item.location))")
        lines.append(
            "seal       \(item.seal ?? "none")"
                + (item.sealIncident ? "   (!) a receipt reported a broken or different seal" : ""))
        if let serial = item.serial { lines.append("serial     \(serial)") }
        if let imei = item.imei { lines.append("imei       \(imei)") }
        if let iccid = item.iccid { lines.append("iccid      \(iccid)") }
        if let state = item.deviceState { lines.append("state      \(state)") }
        lines.append("seized     \(item.seizedAt) (seq \(item.seizedSeq))")
        if let target = item.target { lines.append("target     \(target)") }
        if let parent = item.parent { lines.append("taken from \(parent)") }
        for acquisition in item.acquisitions {
            let seq = acquisition.member("seq")?.integerValue ?? 0
            let tool = acquisition.member("tool")?.stringValue ?? "?"
            let verified = acquisition.member("verified") == .bool(true)
            lines.append("image      seq \(seq), \(tool), verification \(verified ? "matched" : "DID NOT match")")
            for image in acquisition.member("images")?.arrayValue ?? [] {
                lines.append(
                    "             \(image.member("name")?.stringValue ?? "?")  \(image.member("size")?.integerValue ?? 0) bytes  sha256 \(image.member("sha256")?.stringValue ?? "?")"
                )
            }
        }
        for fix in item.corrections {
            lines.append(
                "correction seq \(fix.seq) by \(fix.by): \(fix.field) of seq \(fix.corrects) → \"\(fix.value)\"")
        }
        lines.append(
            "entries    \(item.steps) (last at seq \(item.lastSeq)); `ledger item history \(item.id)` lists them")
        return Terminal.lines(lines)
    }

    private static func corrected(_ item: ItemRecord, _ field: String, _ original: String) -> String {
        guard let fix = item.corrections.last(where: { $0.field == field }) else { return original }
        return "\(fix.value)   (corrected at seq \(fix.seq); originally \"\(original)\")"
    }

    /// The paper-form rows; for a version-2 ledger, a statement signed a minute or more before it was recorded says
    /// so in its notes (`signedAt`: the statements' signing times by seq).
    static func history(_ item: ItemRecord, _ steps: [CustodyStep], signedAt: [Int64: String] = [:]) -> String {
        var rows: [[String]] = []
        for step in steps {
            let details = step.details
            func text(_ name: String) -> String? { details.member(name)?.stringValue }
            var released = ""
            var received = ""
            var action = step.type
            var seal = ""
            var note = ""
            let who = step.by
            switch step.type {
            case CustodyEvents.itemSeized:
                action = "seized"
                received = who
                seal = text("seal").map { "applied \($0)" } ?? ""
                note =
                    "seized \(text("occurred_at") ?? "?") at \(text("seized_from") ?? "?")"
                    + (text("witness").map { "; witness \($0)" } ?? "")
            case CustodyEvents.custodyReleased:
                action = "released"
                released = who
                received = "→ \(text("to") ?? "?")"
                seal = text("seal") ?? ""
                note = [text("courier"), text("tracking")].compactMap { $0 }.joined(separator: " ")
            case CustodyEvents.custodyReceived:
                action = "received"
                released = text("from") ?? ""
                received = who
                let check = text("seal_check") ?? ""
                seal = "\(text("seal") ?? "none") \(check == "intact" ? "intact" : check.uppercased())"
                note = text("condition") ?? ""
            case CustodyEvents.custodyReassigned:
                action = "reassigned"
                released = text("from") ?? ""
                received = "→ \(text("to") ?? "?")"
                note = text("reason") ?? ""
            case CustodyEvents.itemCheckedOut:
                action = "checked out"
                released = who
                received = "→ \(text("to") ?? "?")"
            case CustodyEvents.itemCheckedIn:
                action = "checked in"
                received = who
            case CustodyEvents.itemAcquired:
                action = "imaged"
                received = who
                note =
                    "\(text("tool") ?? "?"), verification "
                    + (details.member("verified") == .bool(true) ? "matched" : "DID NOT match")
            default:
                action = String(step.type.split(separator: ".").last ?? "")
                received = who
                note = text("reason") ?? text("summary") ?? text("text") ?? text("details") ?? ""
                seal = text("seal") ?? ""
            }
            if let signed = signedAt[step.seq], let delay = StatementTimes.delay(signedAt: signed, recorded: step.time)
            {
                note = (note.isEmpty ? "" : note + "; ") + "signed \(signed), \(delay) before it was recorded"
            }
            rows.append([
                String(step.seq), step.time, action, released, received, text("purpose") ?? "",
                text("location") ?? "", seal, note,
            ])
        }
        var people: [String: String] = [:]
        for step in steps {
            people[step.by] = step.byAgency
        }
        let legend = Terminal.lines(people.keys.sorted().map { "  \($0): \(people[$0] ?? "")" })
        return Terminal.line("custody of \(item.id) (exhibit \(item.exhibit), case \(item.caseID)); times are UTC")
            + "\n"
            + Table.render(
                header: [
                    "SEQ", "RECORDED", "ACTION", "RELEASED BY", "RECEIVED BY", "PURPOSE", "LOCATION", "SEAL", "NOTES",
                ],
                rows: rows) + "\npeople (and their agency at the time):\n" + legend
    }
}
