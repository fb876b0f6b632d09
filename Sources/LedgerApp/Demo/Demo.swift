import CustodyDomain
import Foundation
import LedgerCore
import LedgerCrypto

/// What `ledger demo` made.
public struct DemoReport: Sendable {
    /// The folder the demo wrote: the ledger file, its keys (in `keys/`) and the targets CSV.
    public let directory: String
    /// The ledger file, `custody.ledger` in ``directory``.
    public let ledgerPath: String
    /// The operation's case.
    public let caseID: String
    /// Entries in the ledger.
    public let entries: Int64
    /// The size of the checkpoint signed at the end.
    public let checkpointSize: Int64
    /// An item that crossed a border with a broken seal, for the user to look at.
    public let brokenSealItem: String
    /// An item that was imaged.
    public let imagedItem: String
    /// How long the demo took, by the continuous clock.
    public let duration: Duration
}

/// Plays a fictitious international operation against phishing, ransomware and infostealer infrastructure into a
/// new ledger, through the same decide-and-append path as the commands: every event is checked by the custody rules.
///
/// Modelled on the published figures of INTERPOL's Operation Synergia II (2024). Every agency, person and address
/// is invented: IPv4 from 198.18.0.0/15 (RFC 2544 benchmarking), IPv6 from 2001:db8::/32 (RFC 3849
/// documentation), domains under `.example` (RFC 2606).
public struct Demo {
    /// Servers seized, as in the real operation's figures.
    static let serversSeized = 59
    /// Devices seized, by kind, as in the real operation's figures.
    static let devicesSeized: [(kind: String, count: Int)] = [("laptop", 15), ("phone", 18), ("hard-disk", 10)]
    /// Share of identified targets taken down.
    static let takenDownShare = 0.76

    /// A new or empty folder for the demo's ledger and keys.
    public let directory: String
    /// The stores that create and open the demo's ledger.
    public let stores: any LedgerStoreProvider
    /// Where the ledger is created (nil: `custody.ledger` in ``directory``).
    public let ledger: String?
    /// Where appends connect once it is created (nil: the same location); a database's runtime role.
    public let appendLedger: String?
    /// How many targets the operation identifies, written to `targets.csv` in ``directory`` and imported.
    public let targets: Int
    /// Called with one line per step.
    public let log: (String) -> Void
    /// Called with (done, total) while importing and appending in bulk.
    public let progress: (Int64, Int64) -> Void

    /// A demo into `directory`; nothing happens until ``run()``.
    public init(
        directory: String, stores: any LedgerStoreProvider, ledger: String? = nil, appendLedger: String? = nil,
        targets: Int, log: @escaping (String) -> Void, progress: @escaping (Int64, Int64) -> Void = { _, _ in }
    ) {
        self.directory = directory
        self.stores = stores
        self.ledger = ledger
        self.appendLedger = appendLedger
        self.targets = targets
        self.log = log
        self.progress = progress
    }

    static let caseID = "OP-SYNERGIA-DEMO"
    static let origin = "ledger.demo.example/op-synergia"

    /// Officers: (person, name, agency, roles).
    static let officers: [(person: String, name: String, agency: String, roles: [String])] = [
        ("carol.nl", "Carol Visser", "Cyber Unit Netherlands (fictitious)", [Roles.caseOfficer, Roles.custodian]),
        ("tina.nl", "Tina Bakker", "Cyber Unit Netherlands (fictitious)", [Roles.takedownOfficer]),
        ("nina.nl", "Nina de Vries", "Cyber Unit Netherlands (fictitious)", [Roles.custodian]),
        ("erin.nl", "Erin Jansen", "Forensic Lab Netherlands (fictitious)", [Roles.examiner, Roles.custodian]),
        ("dieter.de", "Dieter Koch", "Landeskriminalamt Cyber (fictitious, DE)", [Roles.custodian, Roles.caseOfficer]),
        ("theo.de", "Theo Wagner", "Landeskriminalamt Cyber (fictitious, DE)", [Roles.takedownOfficer]),
        ("amara.za", "Amara Ndlovu", "Cyber Crime Unit South Africa (fictitious)", [Roles.custodian]),
        ("lucia.ar", "Lucía Fernández", "Policía Cibernética Argentina (fictitious)", [Roles.custodian]),
        ("minho.kr", "Min-ho Park", "Cyber Bureau Korea (fictitious)", [Roles.custodian, Roles.examiner]),
        ("sam.int", "Sam Okafor", "Operation Coordination Desk (fictitious)", [Roles.supervisor]),
        ("audrey.int", "Audrey Laurent", "Operation Coordination Desk (fictitious)", [Roles.auditor]),
        ("omar.ca", "Omar Haddad", Self.outsideAgency, [Roles.custodian]),
    ]

    /// An agency registered in the ledger that has not joined the case: its officer sees none of the case's items
    /// (what `ledger serve` shows to people outside a case).
    static let outsideAgency = "Cyber Unit Canada (fictitious)"

    /// 95 participating countries (ISO 3166-1 alpha-2).
    static let countries = [
        "AR", "AT", "AU", "BD", "BE", "BG", "BH", "BR", "CA", "CH", "CI", "CL", "CM", "CN", "CO", "CR", "CY", "CZ",
        "DE", "DK", "DO", "DZ", "EC", "EE", "EG", "ES", "FI", "FR", "GB", "GE", "GH", "GR", "HK", "HR", "HU", "ID",
        "IE", "IL", "IN", "IS", "IT", "JM", "JO", "JP", "KE", "KR", "KW", "KZ", "LB", "LK", "LT", "LU", "LV", "MA",
        "MD", "MK", "MN", "MT", "MU", "MX", "MY", "NG", "NL", "NO", "NZ", "OM", "PA", "PE", "PH", "PK", "PL", "PT",
        "PY", "QA", "RO", "RS", "RW", "SA", "SE", "SG", "SI", "SK", "SN", "TH", "TN", "TR", "TW", "TZ", "UA", "UG",
        "US", "UY", "VN", "ZA", "ZM",
    ]
    static let providers = [
        "Hoster Alpha (fictitious)", "Bulletproof Beta (fictitious)", "Cloud Gamma (fictitious)",
        "Datacenter Delta (fictitious)", "VPS Epsilon (fictitious)",
    ]

    /// Runs the demo; fails if `directory` holds a ledger already.
    public func run() throws -> DemoReport {
        let start = ContinuousClock.now
        let fileManager = FileManager.default
        let keysDirectory = directory + "/keys"
        let ledgerPath = ledger ?? directory + "/custody.ledger"
        if stores.exists(ledgerPath) {
            throw LedgerError.usage("\(ledgerPath) already exists; give the demo a new or empty folder")
        }
        do {
            try fileManager.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true)
            try fileManager.createDirectory(atPath: directory + "/images", withIntermediateDirectories: true)
        } catch {
            throw LedgerError.usage("cannot create \(directory): \(error.localizedDescription)")
        }

        // 1. The ledger and its admin.
        let location = LedgerLocation(ledgerPath, stores: stores)
        let setup = try LedgerSetup.initialize(
            at: location, origin: Self.origin,
            admin: Identity(name: "Ada Admin", person: "ada.int", agency: "Operation Coordination Desk (fictitious)"),
            adminKeyPath: keysDirectory + "/ada.int.pem", logKeyPath: keysDirectory + "/log.pem", passphrase: nil)
        let store = try LedgerLocation(appendLedger ?? ledgerPath, stores: stores).open()
        let admin = try KeyFiles.load(setup.adminKeyPath, passphrase: nil)
        log("created \(location) (origin \(Self.origin)); log and admin keys in \(keysDirectory)")

        // 2. Every officer makes their own key and sends a signed request; the admin registers it.
        var keys: [String: Ed25519PrivateKey] = [:]
        for officer in Self.officers {
            let keyPath = "\(keysDirectory)/\(officer.person).pem"
            let (_, request) = try KeyManagement.generate(
                keyPath: keyPath, passphrase: nil,
                identity: Identity(name: officer.name, person: officer.person, agency: officer.agency),
                origin: Self.origin)
            _ = try KeyManagement.register(
                requestText: Array(request.utf8), roles: officer.roles, admin: admin, store: store)
            keys[officer.person] = try KeyFiles.load(keyPath, passphrase: nil)
        }
        let agencies = Array(Set(Self.officers.map(\.agency))).sorted()
        log(
            "\(Self.officers.count) officers of \(agencies.count) agencies generated their own keys; the admin registered them"
        )
        func key(_ person: String) throws -> Ed25519PrivateKey {
            guard let found = keys[person] else { throw LedgerError.usage("demo: no key for \(person)") }
            return found
        }

        func append(_ drafts: [EventDraft]) throws -> [Int64] {
            let total = Int64(drafts.count)
            return try Appender.append(drafts, to: store) { done in progress(Int64(done), total) }.seqs
        }
        func event(_ type: String, _ stream: String, _ data: JSONValue, by person: String, coSigners: [String] = [])
            throws -> EventDraft
        {
            EventDraft(
                type: type, stream: stream, data: data, signer: try key(person),
                coSigners: try coSigners.map { try key($0) })
        }

        // 3. The case.
        let caseStream = "case/" + Self.caseID
        _ = try append([
            try event(
                CustodyEvents.caseOpened, caseStream,
                [
                    "title": "Operation Synergia (demo): phishing, ransomware and infostealer infrastructure",
                    "legal_basis": "Joint investigation agreement JIT-2024/07 (fictitious)",
                    "agencies": .array(
                        agencies.filter { !$0.contains("Coordination") && $0 != Self.outsideAgency }.map { .string($0) }
                    ),
                    "summary": "A fictitious replay of a coordinated operation, 1 April to 31 August 2024.",
                ], by: "carol.nl")
        ])
        _ = try append([
            try event(
                CustodyEvents.caseAgencyJoined, caseStream,
                ["agency": "Operation Coordination Desk (fictitious)"], by: "carol.nl")
        ])
        log("case \(Self.caseID) opened by carol.nl with \(agencies.count - 1) agencies")

        // 4. Targets, imported from a generated CSV file: all validated first, then appended in one transaction.
        let csvPath = directory + "/targets.csv"
        let csv = Self.targetCSV(count: targets)
        do { try Data(csv.utf8).write(to: URL(fileURLWithPath: csvPath)) } catch {
            throw LedgerError.usage("cannot write \(csvPath): \(error.localizedDescription)")
        }
        let rows = try TargetImport.parse(
            csv: Array(csv.utf8), defaultSource: "Partner threat-intelligence feed (fictitious)")
        let identified = try append(TargetImport.drafts(rows, caseID: Self.caseID, signer: try key("tina.nl")))
        log("\(identified.count) targets identified from \(csvPath), in one transaction")

        // 5. Notifications, takedown requests and outcomes: 76% taken down.
        let ids = rows.map { CustodyQueries.targetID(caseID: Self.caseID, kind: $0.kind, value: $0.value) }
        let takenDown = Int((Double(ids.count) * Self.takenDownShare).rounded())
        let notActioned = ids.count * 14 / 100
        var lifecycle: [EventDraft] = []
        lifecycle.reserveCapacity(ids.count * 3)
        let reasons = CustodyTypeTable.notActionedReasons
        let methods = CustodyTypeTable.takedownMethods
        for (index, id) in ids.enumerated() {
            let officer = index % 2 == 0 ? "tina.nl" : "theo.de"
            let stream = "target/" + id
            let provider = Self.providers[index % Self.providers.count]
            if index % 10 == 0 {
                lifecycle.append(
                    try event(
                        CustodyEvents.targetNotified, stream,
                        [
                            "recipient": .string("\(provider) abuse desk"),
                            "reference": .string("ABUSE-\(100_000 + index)"),
                        ],
                        by: officer))
            }
            guard index < takenDown + notActioned + (ids.count - takenDown - notActioned) / 2 else { continue }
            lifecycle.append(
                try event(
                    CustodyEvents.takedownRequested, stream,
                    ["recipient": .string(provider), "legal_instrument": .string("EIO-2024/\(1000 + index % 500)")],
                    by: officer))
            if index < takenDown {
                lifecycle.append(
                    try event(
                        CustodyEvents.takedownConfirmed, stream,
                        [
                            "method": .string(methods[index % methods.count]),
                            "occurred_at": .string(Self.day(index, of: ids.count) + "T10:00:00+02:00"),
                        ], by: officer))
            } else if index < takenDown + notActioned {
                lifecycle.append(
                    try event(
                        CustodyEvents.takedownNotActioned, stream, ["reason": .string(reasons[index % reasons.count])],
                        by: officer))
            }
        }
        var lifecycleCount = 0
        for chunk in stride(from: 0, to: lifecycle.count, by: 20_000) {
            lifecycleCount += try append(Array(lifecycle[chunk..<min(chunk + 20_000, lifecycle.count)])).count
        }
        log(
            "\(lifecycleCount) notifications, takedown requests and outcomes: \(takenDown) taken down, "
                + "\(notActioned) not actioned")

        // 6. Seizures: 59 servers (from taken-down server targets) and 43 devices, across agencies.
        let seizers = ["carol.nl", "nina.nl", "dieter.de", "amara.za", "lucia.ar", "minho.kr"]
        var seizures: [EventDraft] = []
        var holders: [String] = []
        var itemNumber = 0
        func seize(kind: String, seizer: String, target: String?, description: String) throws {
            itemNumber += 1
            let id = String(format: "EV-%04d", itemNumber)
            var data: [JSONMember] = [
                JSONMember("case", .string(Self.caseID)),
                JSONMember("exhibit", .string("\(seizer.prefix(1).uppercased())/\(itemNumber)")),
                JSONMember("kind", .string(kind)), JSONMember("description", .string(description)),
                JSONMember("seal", .string(String(format: "SEAL-%05d", itemNumber))),
                JSONMember("location", .string("Evidence store of \(seizer)")),
                JSONMember(
                    "occurred_at",
                    .string(Self.day(itemNumber, of: 120) + "T06:\(String(format: "%02d", itemNumber % 60)):00+02:00")),
                JSONMember("seized_from", .string("Premises, case-file ref. P-\(200 + itemNumber)")),
                JSONMember("legal_authority", .string("Search warrant W-2024/\(300 + itemNumber) (fictitious)")),
                JSONMember("serial", .string(String(format: "SN%08d", 4_711 * itemNumber))),
            ]
            if kind == "phone" {
                data.append(JSONMember("imei", .string(String(format: "35%013d", itemNumber))))
                data.append(JSONMember("device_state", .string("powered off, in Faraday bag")))
            }
            if let target { data.append(JSONMember("target", .string(target))) }
            var coSigners: [String] = []
            if itemNumber == 1 {
                data.append(JSONMember("witness_key", .string(KeyFiles.keyID(try key("nina.nl").publicKey))))
                coSigners = ["nina.nl"]
            }
            seizures.append(
                try event(CustodyEvents.itemSeized, "item/" + id, .object(data), by: seizer, coSigners: coSigners))
            holders.append(seizer)
        }
        let serverTargets = ids.prefix(takenDown)
        for index in 0..<Self.serversSeized {
            let target = serverTargets.isEmpty ? nil : serverTargets[index * 7 % serverTargets.count]
            try seize(
                kind: "server", seizer: seizers[index % seizers.count], target: target,
                description: "Rack server \(index + 1) hosting phishing kits")
        }
        for (kind, count) in Self.devicesSeized {
            for index in 0..<count {
                try seize(
                    kind: kind, seizer: seizers[(index + kind.count) % seizers.count], target: nil,
                    description: kind == "phone"
                        ? "Smartphone of suspect \(index + 1)" : "\(kind.capitalized) \(index + 1) at suspect premises")
            }
        }
        _ = try append(seizures)
        log(
            "\(Self.serversSeized) servers and \(Self.devicesSeized.map(\.count).reduce(0, +)) devices seized, each sealed; EV-0001 co-signed by a witnessing officer"
        )

        // 7. Cross-border transfers by courier, received at the far end: DE, ZA and AR exhibits to the NL lab.
        var transfers: [EventDraft] = []
        var receipts: [EventDraft] = []
        var brokenSealItem = ""
        let foreign = ["dieter.de", "amara.za", "lucia.ar"]
        var transferred = 0
        for number in 1...itemNumber {
            let seizer = holders[number - 1]
            guard number > Self.serversSeized, foreign.contains(seizer), transferred < 6 else { continue }
            transferred += 1
            let id = String(format: "EV-%04d", number)
            let seal = String(format: "SEAL-%05d", number)
            transfers.append(
                try event(
                    CustodyEvents.custodyReleased, "item/" + id,
                    [
                        "to": "erin.nl", "purpose": "Forensic imaging at the Netherlands lab", "seal": .string(seal),
                        "courier": "Diplomatic courier (fictitious)", "tracking": .string("DC-2024-\(7000 + number)"),
                    ], by: seizer))
            let broken = transferred == 3
            if broken { brokenSealItem = id }
            var receipt: [JSONMember] = [
                JSONMember("seal", .string(seal)), JSONMember("seal_intact", .bool(!broken)),
                JSONMember("location", .string("NL lab, evidence safe 2")),
            ]
            if broken { receipt.append(JSONMember("condition", .string("Seal tape cut on arrival; photographed"))) }
            receipts.append(try event(CustodyEvents.custodyReceived, "item/" + id, .object(receipt), by: "erin.nl"))
        }
        _ = try append(transfers)
        _ = try append(receipts)
        log(
            "\(transferred) exhibits sent across borders by courier and received in the NL lab; \(brokenSealItem) arrived with a broken seal"
        )

        // 8. Acquisitions of small generated disk images, by the examiner who holds them.
        let imaged = receipts.prefix(3).map { String($0.stream.dropFirst("item/".count)) }
        var acquisitions: [EventDraft] = []
        for (index, item) in imaged.enumerated() {
            let path = "\(directory)/images/\(item).raw"
            let bytes = Self.diskImage(seed: UInt64(index + 1), size: 1 << 20)
            do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
                throw LedgerError.usage("cannot write \(path): \(error.localizedDescription)")
            }
            let digests: FileDigests
            do { digests = try FileHasher.hash(path: path) } catch { throw LedgerError.usage(error.description) }
            let hashes: JSONValue = [
                ["alg": "md5", "value": .string(Hex.encode(digests.md5))],
                ["alg": "sha1", "value": .string(Hex.encode(digests.sha1))],
                ["alg": "sha256", "value": .string(Hex.encode(digests.sha256))],
            ]
            acquisitions.append(
                try event(
                    CustodyEvents.itemAcquired, "item/" + item,
                    [
                        "tool": "dd (GNU coreutils)", "tool_version": "9.1",
                        "write_blocker": "Tableau T8u (fictitious)",
                        "source_hashes": hashes,
                        "images": [["name": .string("\(item).raw"), "size": .integer(digests.size), "hashes": hashes]],
                        "verified": true,
                    ], by: "erin.nl"))
        }
        _ = try append(acquisitions)
        log("\(imaged.count) disk images acquired and hashed (SHA-256, SHA-1, MD5 in one read) in \(directory)/images")

        // 8b. Daily work still open, for the custodian's queries (`ledger items --overdue`, `--status in-transit`):
        // one imaged exhibit checked out for chip-off past its due date, one on its way to the Dutch evidence store.
        let received = receipts.map { String($0.stream.dropFirst("item/".count)) }
        if received.count >= 5 {
            let checkedOut = received[3]
            let sent = received[4]
            _ = try append([
                try event(
                    CustodyEvents.itemCheckedOut, "item/" + checkedOut,
                    [
                        "to": "minho.kr", "purpose": "Chip-off examination of the storage",
                        "occurred_at": "2024-07-01T09:00:00+02:00", "due": "2024-07-05T17:00:00+02:00",
                    ], by: "erin.nl"),
                try event(
                    CustodyEvents.custodyReleased, "item/" + sent,
                    [
                        "to": "carol.nl", "purpose": "Back to the Dutch evidence store after imaging",
                        "seal": .string(Int(sent.dropFirst("EV-".count)).map { String(format: "SEAL-%05d", $0) } ?? ""),
                    ], by: "erin.nl"),
            ])
            log("\(checkedOut) checked out to minho.kr, due back 2024-07-05 (overdue); \(sent) on its way to carol.nl")
        }

        // 9. A correction of a mistyped description, by the person who recorded it.
        let correctedSeq = try store.read { reader -> Int64 in
            var seq: Int64 = 0
            try reader.forEachRecord(RecordFilter(stream: "item/EV-0001")) {
                seq = $0.seq
                return false
            }
            return seq
        }
        _ = try append([
            try event(
                CustodyEvents.entryCorrected, "item/EV-0001",
                [
                    "corrects": .integer(correctedSeq), "field": "description",
                    "value": "Rack server 1 hosting phishing kits (Dell PowerEdge R640)",
                    "reason": "Model omitted at seizure",
                ], by: "carol.nl")
        ])
        log("seq \(correctedSeq)'s description corrected by carol.nl (the original stays in the log)")

        // 10. A checkpoint signed by the log key.
        let logKey = try KeyFiles.load(setup.logKeyPath, passphrase: nil)
        let (checkpoint, _) = try Checkpointer.checkpoint(store: store, logKey: logKey)
        let entries = try store.read { try $0.entryCount() }
        log("checkpoint signed at size \(checkpoint.checkpoint.size)")
        return DemoReport(
            directory: directory, ledgerPath: appendLedger ?? ledgerPath, caseID: Self.caseID, entries: entries,
            checkpointSize: checkpoint.checkpoint.size, brokenSealItem: brokenSealItem,
            imagedItem: imaged.first ?? "EV-0001", duration: ContinuousClock.now - start)
    }

    /// A day of the operation (1 April – 31 August 2024) spread over `count` events.
    static func day(_ index: Int, of count: Int) -> String {
        let day = 152 * index / max(count, 1)
        let months = [(4, 30), (5, 31), (6, 30), (7, 31), (8, 31)]
        var remaining = day
        for (month, length) in months {
            if remaining < length { return String(format: "2024-%02d-%02d", month, remaining + 1) }
            remaining -= length
        }
        return "2024-08-31"
    }

    /// The targets CSV: mostly IPv4 from 198.18.0.0/15, some IPv6 from 2001:db8::/32 and domains under `.example`,
    /// across the three categories and 95 countries.
    static func targetCSV(count: Int) -> String {
        var lines = ["kind,value,category,country,hosting_provider,asn"]
        lines.reserveCapacity(count + 1)
        let categories = ["phishing", "ransomware", "infostealer"]
        for index in 0..<count {
            let category = categories[index % 7 == 0 ? 1 : (index % 3 == 0 ? 2 : 0)]
            let country = countries[(index * 31 + index / 95) % countries.count]
            let provider = providers[index % providers.count]
            let asn = 64_496 + index % 15
            let value: String
            let kind: String
            switch index % 20 {
            case 0, 1:
                kind = "ip"
                value = "2001:db8:\(String(index / 65_536, radix: 16)):\(String(index % 65_536, radix: 16))::1"
            case 2:
                kind = "domain"
                value = "login-\(index).bank-\(index % 97).example"
            default:
                kind = "ip"
                let address = 0xC612_0000 + UInt32(index % 131_072)  // 198.18.0.0/15
                value = "\(address >> 24).\((address >> 16) & 255).\((address >> 8) & 255).\(address & 255)"
            }
            lines.append("\(kind),\(value),\(category),\(country),\(provider),\(asn)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Deterministic pseudo-random bytes standing in for a seized disk (xorshift64, seeded).
    public static func diskImage(seed: UInt64, size: Int) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 8) {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            for offset in 0..<min(8, size - index) {
                bytes[index + offset] = UInt8(truncatingIfNeeded: state >> (8 * offset))
            }
        }
        return bytes
    }
}
