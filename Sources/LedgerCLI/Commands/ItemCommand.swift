import ArgumentParser
import CustodyDomain
import Foundation
import LedgerApp
import LedgerClient
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
        @Option(help: "The source medium's SHA-256 as the imaging tool reported it.") var sourceSha256: String?
        @Option(help: "The source medium's SHA-1 as reported (a format-2 ledger accepts MD5 or SHA-1 alone).")
        var sourceSha1: String?
        @Option(help: "The source medium's MD5 as reported.") var sourceMd5: String?
        @Flag(help: "The imaging tool's verification matched (segmented images).") var verified = false
        @Flag(help: "The imaging tool's verification did not match.") var notVerified = false
        @Option(help: "Notes.") var notes: String?
        @OptionGroup var act: ActTime
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
                CustodyEvents.itemAcquired, stream: CustodyStreams.item(item), json: act.added(to: data),
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
        @OptionGroup var server: ServerKeyOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            if location.serverURL != nil {
                let answer = try remoteJSON(try server.remote(location), "/api/v1/items/\(RemoteLedger.escape(item))")
                if json { return printJSON(answer) }
                let state = JSONValue.object(
                    (answer.objectMembers ?? []).filter { $0.name != "custody_chain" && $0.name != "head" })
                return print(
                    ItemReport.summary(
                        try ItemRecord(state: String(decoding: JCS.serialize(state), as: UTF8.self)),
                        chain: answer.member("custody_chain")?.arrayValue ?? []))
            }
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
            print(ItemReport.summary(record, chain: steps.map(\.jsonValue)))
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
        @OptionGroup var server: ServerKeyOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            if location.serverURL != nil { return try runRemotely() }
            let store = try location.openForReading()
            if json {
                guard let (_, steps) = try CustodyQueries.item(item, in: store) else {
                    throw LedgerError.notFound("no item \(item) (see `ledger items`)")
                }
                printJSONLines(steps.map(\.jsonValue))
                return
            }
            guard let form = try CustodyForm.load(item, in: store) else {
                throw LedgerError.notFound("no item \(item) (see `ledger items`)")
            }
            print(ItemReport.history(form, width: Terminal.columns()))
        }

        /// Through a server: the item and its chain, the entries of its stream and the people they name.
        private func runRemotely() throws {
            let remote = try server.remote(location)
            let id = item
            let (answer, records, people) = try Blocking.wait {
                let answer = try JSONParser.parse(
                    try await remote.send("GET", "/api/v1/items/\(RemoteLedger.escape(id))").body)
                return (
                    answer, try await remote.records(stream: "item/\(id)"),
                    try await remote.all("/api/v1/people", member: "people")
                )
            }
            let steps = try (answer.member("custody_chain")?.arrayValue ?? []).map {
                try CustodyStep(state: String(decoding: JCS.serialize($0), as: UTF8.self))
            }
            if json { return printJSONLines(steps.map(\.jsonValue)) }
            let state = JSONValue.object(
                (answer.objectMembers ?? []).filter { $0.name != "custody_chain" && $0.name != "head" })
            let record = try ItemRecord(state: String(decoding: JCS.serialize(state), as: UTF8.self))
            var bodies: [Int64: EntryBody] = [:]
            for bytes in records {
                if let body = try? EntryBody.parse(record: bytes) { bodies[body.seq] = body }
            }
            var known: [String: PersonRecord] = [:]
            for person in people {
                if let record = try? PersonRecord(state: String(decoding: JCS.serialize(person), as: UTF8.self)) {
                    known[record.person] = record
                }
            }
            let form = CustodyForm.build(item: record, steps: steps, bodies: bodies) { known[$0] }
            print(ItemReport.history(form, width: Terminal.columns()))
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
        @Option(
            help: ArgumentHelp(
                "When it is due back (RFC 3339 with offset; a format-2 ledger); `ledger items --overdue` lists it after.",
                valueName: "time"))
        var due: String?
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func validate() throws {
            // Due back before it left: overdue the moment it is recorded, most often a typo in the date.
            if let due, let dueAt = LedgerTime.milliseconds(rfc3339: due) {
                let out =
                    act.at.flatMap { LedgerTime.milliseconds(rfc3339: $0) }
                    ?? Int64(Date().timeIntervalSince1970 * 1000)
                guard dueAt > out else {
                    throw ValidationError(
                        "--due \(due) is not after the check-out (\(act.at ?? "now")): give when it is due back")
                }
            }
        }

        func run() throws {
            try event.record(
                CustodyEvents.itemCheckedOut, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["to": to, "purpose": purpose, "due": due])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemCheckedIn, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["location": location, "condition": condition])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemStored, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["location": location])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemSealed, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["seal": seal, "reason": reason])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemUnsealed, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["seal": seal, "reason": reason])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.itemExamined, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["summary": summary, "report_reference": report])))
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
        @OptionGroup var act: ActTime
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
            data = act.added(to: data)
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyReleaseCancelled, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["reason": reason])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyReceiptRefused, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["reason": reason])))
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
        @OptionGroup var act: ActTime
        @OptionGroup var event: EventOptions

        func run() throws {
            try event.record(
                CustodyEvents.custodyLost, stream: CustodyStreams.item(item),
                data: act.added(to: DataBuilder(["details": details])))
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
    @OptionGroup var act: ActTime
    @OptionGroup var event: EventOptions

    func run() throws {
        var data = DataBuilder()
        data["to"] = to
        data["purpose"] = purpose
        data["seal"] = seal
        data["courier"] = courier
        data["tracking"] = tracking
        data = act.added(to: data)
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
                  --condition "tape cut" --location "NL lab, quarantine" --key erin.pem
            """)
    @Argument(help: "The item.") var item: String
    @Option(help: "The seal number you see on the item; it must be the one the item was released under.")
    var seal: String?
    @Flag(help: "The seal is broken, missing, or not the one the item was released under.") var sealBroken = false
    @Option(help: "The item's condition.") var condition: String?
    @Option(help: "Where you keep it now (required in a format-2 ledger).") var location: String?
    @OptionGroup var act: ActTime
    @OptionGroup var event: EventOptions

    func run() throws {
        let data = try CustodyForms.receipt(
            item: item, seal: seal, sealBroken: sealBroken, condition: condition, location: location,
            in: event.readsLedger ? try event.location.openForReading() : nil)
        try event.record(
            CustodyEvents.custodyReceived, stream: CustodyStreams.item(item), json: act.added(to: data),
            summary: sealBroken ? "received; SEAL BROKEN recorded" : "received; seal intact")
    }
}

struct ItemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items", abstract: "List and find items: where they are, who holds them, what is overdue.",
        discussion: """
            --status in-transit lists who sent each item, to whom and since when, the longest in transit first; \
            --status checked-out and --overdue list the examiner, the purpose and the due date.

            Examples:
              ledger items --case OP-SYNERGIA
              ledger items --holder erin.nl --status in-custody
              ledger items --seal SEAL-00062
              ledger items --imei 490154203237518
              ledger items --search "grey laptop"
              ledger items --status in-transit
              ledger items --overdue --json
            """)
    @OptionGroup var location: LedgerOptions
    @OptionGroup var server: ServerKeyOptions
    @Option(name: .customLong("case"), help: "Only this case.") var caseID: String?
    @Option(help: "Only items this person holds.") var holder: String?
    @Option(help: "in-custody, in-transit, checked-out, lost or disposed.") var status: String?
    @Option(help: "The item under this seal, now or at any hand-over.") var seal: String?
    @Option(help: "The item with this serial number.") var serial: String?
    @Option(help: "The item with this IMEI.") var imei: String?
    @Option(help: "The item with this exhibit number.") var exhibit: String?
    @Option(help: ArgumentHelp("Items whose description contains this text (any case).", valueName: "text"))
    var search: String?
    @Flag(help: "Only checked-out items past their due date.") var overdue = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if overdue, let status, status != ItemStatus.checkedOut {
            throw ValidationError("--overdue lists checked-out items; leave out --status \(status)")
        }
    }

    func run() throws {
        if location.serverURL != nil { return try runRemotely() }
        let store = try location.openForReading()
        try QueryFilters.checkItemStatus(status)
        try QueryFilters.checkCase(caseID, in: store)
        try QueryFilters.checkPerson(holder, option: "--holder", in: store)
        let filter = ItemSearch(
            caseID: caseID, holder: holder, status: status, seal: seal, serial: serial, imei: imei, exhibit: exhibit,
            text: search)
        if status == ItemStatus.inTransit {
            try printInTransit(try CustodyQueries.inTransit(in: store, matching: filter))
        } else if overdue || status == ItemStatus.checkedOut {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let out = try CustodyQueries.checkedOut(in: store, matching: filter, now: now)
            try printCheckedOut(overdue ? out.filter(\.isOverdue) : out, now: now)
        } else {
            try printItems(try CustodyQueries.items(in: store, matching: filter))
        }
    }

    /// Through a server: the items the caller may read that match, as the table or JSON Lines.
    private func runRemotely() throws {
        try QueryFilters.checkItemStatus(status)
        var query: [(String, String)] = []
        for (name, value) in [
            ("case", caseID), ("holder", holder), ("status", status), ("seal", seal), ("serial", serial),
            ("imei", imei), ("exhibit", exhibit), ("text", search),
        ] {
            if let value { query.append((name, value)) }
        }
        let view =
            overdue
            ? "overdue" : status == ItemStatus.inTransit || status == ItemStatus.checkedOut ? status : nil
        if let view { query.append(("view", view)) }
        let remote = try server.remote(location)
        let asked = query
        let answers = try Blocking.wait { try await remote.all("/api/v1/items", member: "items", query: asked) }
        switch view {
        case ItemStatus.inTransit?: try printInTransit(try answers.map(ItemInTransit.init(json:)))
        case .some:
            try printCheckedOut(
                try answers.map(ItemCheckedOut.init(json:)), now: Int64(Date().timeIntervalSince1970 * 1000))
        case nil:
            try printItems(
                try answers.map { try ItemRecord(state: String(decoding: JCS.serialize($0), as: UTF8.self)) })
        }
    }

    private func printItems(_ items: [ItemRecord]) throws {
        if json {
            printJSONLines(items.map(\.jsonValue))
            return
        }
        guard !items.isEmpty else { return print("no items match") }
        print(
            Table.render(
                header: ["ITEM", "CASE", "EXHIBIT", "KIND", "STATUS", "HOLDER", "SEAL", "LOCATION"],
                rows: items.map { item in
                    [
                        item.id, item.caseID, item.exhibit, item.kind,
                        item.status + (item.pendingTo.map { " → \($0)" } ?? ""), item.currentHolder ?? "-",
                        item.sealText + (item.sealIncident ? " (!)" : ""), item.currentLocation ?? "-",
                    ]
                }))
    }

    private func printInTransit(_ items: [ItemInTransit]) throws {
        if json {
            printJSONLines(items.map(\.json))
            return
        }
        guard !items.isEmpty else { return print("no items in transit match") }
        let now = LedgerTime.format(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        print(
            Table.render(
                header: ["ITEM", "CASE", "EXHIBIT", "FROM", "TO", "SINCE (UTC)", "FOR", "SEAL"],
                rows: items.map {
                    [
                        $0.item.id, $0.item.caseID, $0.item.exhibit, $0.from, $0.to, String($0.sentAt.prefix(16)),
                        LedgerTime.delay(from: $0.sentAt, to: now) ?? "< 1 min",
                        $0.item.sealText + ($0.item.sealIncident ? " (!)" : ""),
                    ]
                }))
    }

    /// When it left, in UTC, and how long ago: the check-out's own time when it gave one (`--at`), else when it
    /// was recorded.
    private func outSince(_ out: ItemCheckedOut, now: String) -> String {
        String(out.outAt.prefix(16)) + (LedgerTime.delay(from: out.outAt, to: now).map { " (\($0))" } ?? "")
    }

    private func printCheckedOut(_ items: [ItemCheckedOut], now: Int64) throws {
        if json {
            printJSONLines(items.map(\.json))
            return
        }
        guard !items.isEmpty else { return print(overdue ? "no overdue items match" : "no checked-out items match") }
        let nowText = LedgerTime.format(millisecondsSince1970: now)
        print(
            Table.render(
                header: ["ITEM", "CASE", "EXHIBIT", "HOLDER", "EXAMINER", "OUT SINCE (UTC)", "DUE", "PURPOSE"],
                rows: items.map {
                    [
                        $0.item.id, $0.item.caseID, $0.item.exhibit, $0.item.holder, $0.examiner,
                        outSince($0, now: nowText),
                        ($0.due ?? "-") + ($0.isOverdue ? " OVERDUE" : ""), Terminal.line($0.purpose ?? ""),
                    ]
                }))
    }
}

/// Item text for people: the summary and the paper-form history.
enum ItemReport {
    /// The summary; `chain` (its custody steps as JSON, oldest first) gives a current check-out's purpose and due
    /// date, and `now` (milliseconds since 1970) whether it is overdue.
    static func summary(
        _ item: ItemRecord, chain: [JSONValue] = [], now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)
    ) -> String {
        var lines = [
            "item       \(item.id)   exhibit \(item.exhibit)   case \(item.caseID)",
            "kind       \(item.kind): \(corrected(item, "description", item.description))",
        ]
        switch item.status {
        case ItemStatus.inTransit:
            lines.append("status     IN TRANSIT from \(item.holder) to \(item.pendingTo ?? "?")")
        case ItemStatus.checkedOut:
            lines.append("status     checked out to \(item.checkedOutTo ?? "?") (holder \(item.holder))")
            let out = chain.last { $0.member("type")?.stringValue == CustodyEvents.itemCheckedOut }
            if let purpose = out?.member("details")?.member("purpose")?.stringValue {
                lines.append("purpose    \(purpose)")
            }
            if let due = out?.member("details")?.member("due")?.stringValue {
                lines.append("due back   \(due)" + (ItemCheckedOut.isOverdue(due: due, now: now) ? "   OVERDUE" : ""))
            }
        default:
            lines.append("status     \(item.status)")
        }
        let gone = item.status == ItemStatus.disposed || item.status == ItemStatus.lost
        lines.append("holder     \(item.currentHolder ?? "none (\(item.status))")")
        lines.append(
            "location   "
                + (item.currentLocation.map { corrected(item, "location", $0) }
                    ?? (gone ? "none (\(item.status))" : "in transit")))
        lines.append(
            "seal       \(item.sealText)"
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

    /// The custody form at `width` columns: a header, one block per event (a line with the time, the action and
    /// who released, received and witnessed it; then its particulars, wrapped), and a legend of the people named.
    static func history(_ form: CustodyForm, width: Int) -> String {
        let item = form.item
        let width = max(width, 40)
        var out: [String] = []
        func paragraph(_ text: String, indent: Int = 0) {
            let pad = String(repeating: " ", count: indent)
            out += Terminal.wrap(Terminal.line(text), width: width - indent).map { pad + $0 }
        }
        paragraph("Chain of custody of item \(item.id) · exhibit \(item.exhibit) · case \(item.caseID)")
        paragraph("\(item.kind): \(item.corrections.last { $0.field == "description" }?.value ?? item.description)")
        paragraph("now: " + nowText(item))
        paragraph(
            "RECORDED is when the ledger recorded each entry (UTC); \"act\" is when it happened, as the person stated it."
        )
        out.append("")
        let allRoles: [(header: String, value: (CustodyForm.Row) -> String?)] =
            [("RELEASED BY", \.releasedBy), ("RECEIVED BY", \.receivedBy)]
            + (form.hasWitnesses ? [("WITNESS", \.witness)] : [])
        let seqWidth = max(3, form.rows.map { String($0.seq).count }.max() ?? 3)
        let actionWidth = max(6, form.rows.map { Terminal.width($0.action) }.max() ?? 6)
        let fixed = seqWidth + 2 + 16 + 2 + actionWidth
        // Too narrow for a column per role (each at least 8 wide): the roles are stacked under the row instead.
        let stacked = fixed + 10 * allRoles.count > width
        let roles = stacked ? [] : allRoles
        var roleWidths = roles.map { role in
            max(
                Terminal.width(role.header),
                form.rows.map { Terminal.width(Terminal.line(role.value($0) ?? "")) }.max() ?? 0)
        }
        // Narrow terminals: the role columns share what is left, each at least 8 wide; longer names are cut and the
        // legend gives them whole.
        let room = width - fixed - 2 * roles.count
        if roleWidths.reduce(0, +) > room {
            let each = max(8, room / max(roles.count, 1))
            roleWidths = roleWidths.map { min($0, each) }
        }
        func cell(_ text: String, _ columns: Int) -> String {
            var text = text
            if Terminal.width(text) > columns {
                while Terminal.width(text) > columns - 1, !text.isEmpty { text.removeLast() }
                text += "…"
            }
            return text + String(repeating: " ", count: max(0, columns - Terminal.width(text)))
        }
        func line(_ cells: [String]) -> String {
            var text = cell(cells[0], seqWidth) + "  " + cell(cells[1], 16) + "  " + cell(cells[2], actionWidth)
            for (index, value) in cells.dropFirst(3).enumerated() { text += "  " + cell(value, roleWidths[index]) }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        out.append(line(["SEQ", "RECORDED (UTC)", "ACTION"] + roles.map(\.header)))
        let indent = seqWidth + 2
        for row in form.rows {
            let recorded = row.recorded.prefix(16).replacingOccurrences(of: "T", with: " ")
            out.append(
                line(
                    [String(row.seq), recorded, Terminal.line(row.action)]
                        + roles.map { Terminal.line($0.value(row) ?? "") }))
            let stackedRoles =
                stacked
                ? zip(["released by", "received by", "witness"], [row.releasedBy, row.receivedBy, row.witness])
                    .compactMap { label, name in name.map { "\(label) \($0)" } } : []
            let particulars = stackedRoles + (row.act.map { ["act \($0)"] } ?? []) + row.particulars
            if !particulars.isEmpty { paragraph(particulars.joined(separator: "; "), indent: indent) }
        }
        out.append("")
        out.append("people:")
        let idWidth = min(form.people.map { Terminal.width(Terminal.line($0.id)) }.max() ?? 0, width / 3)
        for person in form.people {
            let who = [person.name, person.agency].filter { !$0.isEmpty }.joined(separator: ", ")
            let id = Terminal.line(person.id)
            let lead = "  " + id + String(repeating: " ", count: max(1, idWidth - Terminal.width(id) + 2))
            let lines = Terminal.wrap(
                Terminal.line(who.isEmpty ? "(not a registered person)" : who), width: width - Terminal.width(lead))
            out.append(lead + (lines.first ?? ""))
            out += lines.dropFirst().map { String(repeating: " ", count: Terminal.width(lead)) + $0 }
        }
        return out.joined(separator: "\n")
    }

    /// Where the item is and who holds it now, in words.
    private static func nowText(_ item: ItemRecord) -> String {
        let seal =
            (item.seal.map { "seal \($0)" } ?? "unsealed")
            + (item.sealIncident ? " (a receipt reported a broken or different seal)" : "")
        switch item.status {
        case ItemStatus.inTransit:
            return "IN TRANSIT from \(item.holder) to \(item.pendingTo ?? "?"); \(seal)"
        case ItemStatus.checkedOut:
            return "checked out to \(item.checkedOutTo ?? "?") (holder \(item.holder)); \(seal)"
        case ItemStatus.disposed: return "disposed of: no holder, no storage location"
        case ItemStatus.lost: return "LOST in transit: no holder, no storage location"
        default: return "in custody of \(item.holder) at \(item.location); \(seal)"
        }
    }
}
