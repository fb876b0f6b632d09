import CustodyDomain
import LedgerCore
import LedgerCrypto

/// The bundle's CASE/UCO JSON-LD graph (FORMAT.md §11.7): the custody chain in the digital-forensics exchange
/// ontology, valid under `case_validate` (case-utils 0.18.0, CASE/UCO 1.5.0), the context inline.
///
/// Every node's IRI ends in a UUIDv5 derived from the id of the entry that introduces it and the node's role, so
/// the graph is a deterministic function of the disclosed entries.
public enum CaseGraph {
    /// The graph, as UTF-8 bytes (two-space indented JSON, members in a fixed order).
    ///
    /// The graph is rendered by the report's `version` (FORMAT.md §11.6); versions 1 to 4 render the same graph.
    public static func render(
        _ ledger: DisclosedLedger, custody: DisclosedCustody, version: ReportVersion = .current
    ) -> [UInt8] {
        switch version {
        case .v1, .v2, .v3, .v4: break  // a version that changes the graph renders its own here
        }
        var builder = Builder(ledger: ledger)
        builder.build()
        var out: [UInt8] = []
        PrettyJSON.write(builder.document, to: &out, indent: 0)
        out.append(0x0a)
        return out
    }

    static let context: JSONValue = .object([
        JSONMember("kb", .string("urn:custody-ledger:")),
        JSONMember("case-investigation", .string("https://ontology.caseontology.org/case/investigation/")),
        JSONMember("uco-action", .string("https://ontology.unifiedcyberontology.org/uco/action/")),
        JSONMember("uco-core", .string("https://ontology.unifiedcyberontology.org/uco/core/")),
        JSONMember("uco-identity", .string("https://ontology.unifiedcyberontology.org/uco/identity/")),
        JSONMember("uco-location", .string("https://ontology.unifiedcyberontology.org/uco/location/")),
        JSONMember("uco-observable", .string("https://ontology.unifiedcyberontology.org/uco/observable/")),
        JSONMember("uco-types", .string("https://ontology.unifiedcyberontology.org/uco/types/")),
        JSONMember("xsd", .string("http://www.w3.org/2001/XMLSchema#")),
    ])

    /// RFC 9562 §5.5 UUIDv5 in the URL namespace of `name`.
    static func uuid5(_ name: String) -> String {
        let namespace: [UInt8] = [
            0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ]
        let digest = StreamingDigest(.sha1)
        digest.update(namespace + Array(name.utf8))
        var bytes = Array(digest.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0f) | 0x50
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = Hex.encode(bytes)
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
        ]
        return parts.joined(separator: "-") + "-" + hex.dropFirst(20)
    }

    /// The IRI of the node playing `role` for the entry with id `entryID`: `kb:<class>-<UUIDv5>`.
    static func iri(_ kind: String, entry entryID: String, role: String) -> String {
        "kb:\(kind)-\(uuid5("custody-ledger:\(entryID):\(role)"))"
    }

    static func reference(_ iri: String) -> JSONValue { .object([JSONMember("@id", .string(iri))]) }
    static func dateTime(_ text: String) -> JSONValue {
        .object([JSONMember("@type", .string("xsd:dateTime")), JSONMember("@value", .string(text))])
    }

    /// Human names of the actions.
    static func actionName(_ type: String) -> String {
        switch type {
        case CustodyEvents.itemSeized: "seizure"
        case CustodyEvents.itemAcquired: "forensic acquisition"
        case CustodyEvents.custodyReleased: "custody release"
        case CustodyEvents.custodyReceived: "custody receipt"
        default: CustodyReport.actionNames[type]?.lowercased() ?? type
        }
    }

    struct Builder {
        let ledger: DisclosedLedger
        var graph: [JSONValue] = []
        var investigationObjects: [String] = []
        /// Person id → IRI; agency name → IRI.
        var people: [String: String] = [:]
        var organizations: [String: String] = [:]
        /// Key id → person id.
        var keyPeople: [String: String] = [:]
        /// Item id → its provenance record's IRI and exhibit number; target id → its observable's IRI.
        var items: [String: (provenance: String, exhibit: String)] = [:]
        var targets: [String: String] = [:]
        /// Item id → the IRI of its pending release action and the releasing person.
        var releases: [String: (action: String, from: String)] = [:]
        var holders: [String: String] = [:]
        var investigation: (iri: String, name: String, description: String?)?

        init(ledger: DisclosedLedger) { self.ledger = ledger }

        var document: JSONValue {
            var nodes = graph
            if let investigation {
                var members = [
                    JSONMember("@id", .string(investigation.iri)),
                    JSONMember("@type", .string("case-investigation:Investigation")),
                    JSONMember("uco-core:name", .string(investigation.name)),
                    JSONMember("case-investigation:investigationForm", .string("case")),
                ]
                if let description = investigation.description {
                    members.append(JSONMember("uco-core:description", .string(description)))
                }
                members.append(
                    JSONMember("uco-core:object", .array(investigationObjects.map { CaseGraph.reference($0) })))
                nodes.insert(.object(members), at: 0)
            }
            return .object([JSONMember("@context", CaseGraph.context), JSONMember("@graph", .array(nodes))])
        }

        mutating func build() {
            for entry in ledger.entries {
                let body = entry.body
                let stream = body.stream.utf8
                if body.type == EventTypes.keyRegistered {
                    addPerson(entry)
                } else if stream.starts(with: "case/".utf8) {
                    addCaseEntry(entry)
                } else if stream.starts(with: "target/".utf8) {
                    addTargetEntry(entry, id: String(body.stream.dropFirst(7)))
                } else if stream.starts(with: "item/".utf8) {
                    addItemEntry(entry, id: String(body.stream.dropFirst(5)))
                }
            }
        }

        mutating func add(_ members: [JSONMember], listed: Bool = false) {
            graph.append(.object(members))
            if listed, let id = members.first?.value.stringValue { investigationObjects.append(id) }
        }

        mutating func addPerson(_ entry: Entry) {
            let data = entry.body.data
            guard let person = data.member("person")?.stringValue, let key = data.member("key")?.stringValue else {
                return
            }
            keyPeople[key] = person
            guard people[person] == nil else { return }
            let iri = CaseGraph.iri("person", entry: entry.body.id, role: "person")
            people[person] = iri
            add([
                JSONMember("@id", .string(iri)), JSONMember("@type", .string("uco-identity:Person")),
                JSONMember("uco-core:name", .string(person)),
                JSONMember("uco-core:description", .string(data.member("name")?.stringValue ?? person)),
            ])
            let agency = data.member("agency")?.stringValue ?? ""
            if organizations[agency] == nil {
                let organization = CaseGraph.iri("organization", entry: entry.body.id, role: "organization")
                organizations[agency] = organization
                add([
                    JSONMember("@id", .string(organization)),
                    JSONMember("@type", .string("uco-identity:Organization")),
                    JSONMember("uco-core:name", .string(agency)),
                ])
            }
            add([
                JSONMember("@id", .string(CaseGraph.iri("relationship", entry: entry.body.id, role: "member-of"))),
                JSONMember("@type", .string("uco-core:Relationship")),
                JSONMember("uco-core:source", CaseGraph.reference(iri)),
                JSONMember("uco-core:target", CaseGraph.reference(organizations[agency] ?? "")),
                JSONMember("uco-core:kindOfRelationship", .string("Member_Of")),
                JSONMember("uco-core:isDirectional", .bool(true)),
            ])
        }

        func performer(_ entry: Entry) -> String? { keyPeople[entry.body.actor].flatMap { people[$0] } }

        /// An investigative action for `entry`: its performer, time, location, objects and results.
        mutating func addAction(
            _ entry: Entry, name: String? = nil, start: String? = nil, status: String? = nil, location: String? = nil,
            objects: [String] = [], results: [String] = [], participants: [String] = [], informedBy: String? = nil,
            description: String? = nil
        ) -> String {
            let iri = CaseGraph.iri("investigative-action", entry: entry.body.id, role: "action")
            var members = [
                JSONMember("@id", .string(iri)), JSONMember("@type", .string("case-investigation:InvestigativeAction")),
                JSONMember("uco-core:name", .string(name ?? CaseGraph.actionName(entry.body.type))),
            ]
            if let description { members.append(JSONMember("uco-core:description", .string(description))) }
            if let performer = performer(entry) {
                members.append(JSONMember("uco-action:performer", CaseGraph.reference(performer)))
            }
            if let status { members.append(JSONMember("uco-action:actionStatus", .string(status))) }
            members.append(JSONMember("uco-action:startTime", CaseGraph.dateTime(start ?? entry.body.time)))
            if let location {
                let place = CaseGraph.iri("location", entry: entry.body.id, role: "location")
                add([
                    JSONMember("@id", .string(place)), JSONMember("@type", .string("uco-location:Location")),
                    JSONMember("uco-core:description", .string(location)),
                ])
                members.append(JSONMember("uco-action:location", CaseGraph.reference(place)))
            }
            if !objects.isEmpty {
                members.append(JSONMember("uco-action:object", .array(objects.map { CaseGraph.reference($0) })))
            }
            if !participants.isEmpty {
                members.append(
                    JSONMember("uco-action:participant", .array(participants.map { CaseGraph.reference($0) })))
            }
            if !results.isEmpty {
                members.append(JSONMember("uco-action:result", .array(results.map { CaseGraph.reference($0) })))
            }
            if let informedBy {
                members.append(JSONMember("case-investigation:wasInformedBy", CaseGraph.reference(informedBy)))
            }
            add(members, listed: true)
            return iri
        }

        // MARK: Cases and targets

        mutating func addCaseEntry(_ entry: Entry) {
            let data = entry.body.data
            if entry.body.type == CustodyEvents.caseOpened {
                investigation = (
                    CaseGraph.iri("investigation", entry: entry.body.id, role: "investigation"),
                    String(entry.body.stream.dropFirst(5)), data.member("title")?.stringValue
                )
            }
            _ = addAction(entry, description: Self.describe(data))
        }

        mutating func addTargetEntry(_ entry: Entry, id: String) {
            let data = entry.body.data
            if entry.body.type == CustodyEvents.targetIdentified {
                let value = data.member("value")?.stringValue ?? ""
                let kind = data.member("kind")?.stringValue ?? ""
                let iri: String
                let facet: (type: String, property: String)
                switch kind {
                case "ip" where value.contains(":"):
                    iri = CaseGraph.iri("ipv6-address", entry: entry.body.id, role: "observable")
                    facet = ("uco-observable:IPv6AddressFacet", "uco-observable:addressValue")
                case "ip":
                    iri = CaseGraph.iri("ipv4-address", entry: entry.body.id, role: "observable")
                    facet = ("uco-observable:IPv4AddressFacet", "uco-observable:addressValue")
                case "domain", "server":
                    iri = CaseGraph.iri("domain-name", entry: entry.body.id, role: "observable")
                    facet = ("uco-observable:DomainNameFacet", "uco-observable:value")
                default:
                    iri = CaseGraph.iri("url", entry: entry.body.id, role: "observable")
                    facet = ("uco-observable:URLFacet", "uco-observable:fullValue")
                }
                let type = facet.type.replacingSuffix("Facet")
                add(
                    [
                        JSONMember("@id", .string(iri)), JSONMember("@type", .string(type)),
                        JSONMember("uco-core:name", .string("target \(id)")),
                        JSONMember(
                            "uco-core:hasFacet",
                            .array([
                                .object([
                                    JSONMember(
                                        "@id",
                                        .string(CaseGraph.iri("facet", entry: entry.body.id, role: "observable-facet"))),
                                    JSONMember("@type", .string(facet.type)),
                                    JSONMember(facet.property, .string(value)),
                                ])
                            ])),
                    ], listed: true)
                targets[id] = iri
                _ = addAction(
                    entry, name: "target identified", results: [iri],
                    description: Self.describe(data, skipping: ["value", "kind"]))
                return
            }
            let start = data.member("occurred_at")?.stringValue ?? data.member("observed_at")?.stringValue
            let status: String? =
                switch entry.body.type {
                case CustodyEvents.takedownConfirmed: "Success"
                case CustodyEvents.takedownNotActioned: "Fail"
                default: nil
                }
            _ = addAction(
                entry, start: start, status: status, objects: targets[id].map { [$0] } ?? [],
                description: Self.describe(data))
        }

        // MARK: Items

        mutating func addItemEntry(_ entry: Entry, id: String) {
            let data = entry.body.data
            let body = entry.body
            let provenance = items[id]?.provenance
            let objects = provenance.map { [$0] } ?? []
            switch body.type {
            case CustodyEvents.itemSeized:
                let device = CaseGraph.iri("device", entry: body.id, role: "device")
                var facet = [
                    JSONMember("@id", .string(CaseGraph.iri("device-facet", entry: body.id, role: "device-facet"))),
                    JSONMember("@type", .string("uco-observable:DeviceFacet")),
                    JSONMember("uco-observable:deviceType", .string(data.member("kind")?.stringValue ?? "")),
                ]
                if let serial = data.member("serial")?.stringValue {
                    facet.append(JSONMember("uco-observable:serialNumber", .string(serial)))
                }
                add([
                    JSONMember("@id", .string(device)), JSONMember("@type", .string("uco-observable:Device")),
                    JSONMember("uco-core:description", .string(data.member("description")?.stringValue ?? "")),
                    JSONMember("uco-core:hasFacet", .array([.object(facet)])),
                ])
                let exhibit = data.member("exhibit")?.stringValue ?? id
                let record = CaseGraph.iri("provenance-record", entry: body.id, role: "provenance")
                add(
                    [
                        JSONMember("@id", .string(record)),
                        JSONMember("@type", .string("case-investigation:ProvenanceRecord")),
                        JSONMember("uco-core:name", .string("item \(id)")),
                        JSONMember("case-investigation:exhibitNumber", .string(exhibit)),
                        JSONMember("uco-core:object", .array([CaseGraph.reference(device)])),
                    ], listed: true)
                items[id] = (record, exhibit)
                if investigation == nil, let caseID = data.member("case")?.stringValue {
                    investigation = (CaseGraph.iri("investigation", entry: body.id, role: "investigation"), caseID, nil)
                }
                holders[id] = keyPeople[body.actor]
                _ = addAction(
                    entry, start: data.member("occurred_at")?.stringValue,
                    location: data.member("location")?.stringValue, results: [record],
                    description: Self.describe(
                        data, skipping: ["kind", "serial", "occurred_at", "location", "exhibit"]))
            case CustodyEvents.itemAcquired:
                var files: [String] = []
                for (index, image) in (data.member("images")?.arrayValue ?? []).enumerated() {
                    files.append(addImage(image, entry: entry, index: index))
                }
                let record = CaseGraph.iri("provenance-record", entry: body.id, role: "image-provenance")
                let exhibit = items[id]?.exhibit ?? id
                add(
                    [
                        JSONMember("@id", .string(record)),
                        JSONMember("@type", .string("case-investigation:ProvenanceRecord")),
                        JSONMember("uco-core:name", .string("forensic image of item \(id), entry \(body.seq)")),
                        JSONMember("case-investigation:exhibitNumber", .string("\(exhibit)-IMG-\(body.seq)")),
                        JSONMember("case-investigation:rootExhibitNumber", .string(exhibit)),
                        JSONMember("uco-core:object", .array(files.map { CaseGraph.reference($0) })),
                    ], listed: true)
                _ = addAction(
                    entry, objects: objects, results: [record],
                    description: Self.describe(data, skipping: ["images"]))
            case CustodyEvents.custodyReleased:
                let to = data.member("to")?.stringValue
                let action = addAction(
                    entry, objects: objects, participants: to.flatMap { people[$0] }.map { [$0] } ?? [],
                    description: Self.describe(data))
                releases[id] = (action, keyPeople[body.actor] ?? "")
            case CustodyEvents.custodyReceived:
                let release = releases.removeValue(forKey: id)
                _ = addAction(
                    entry, location: data.member("location")?.stringValue, objects: objects,
                    participants: release.flatMap { people[$0.from] }.map { [$0] } ?? [], informedBy: release?.action,
                    description: Self.describe(data, skipping: ["location"]))
                holders[id] = keyPeople[body.actor]
            case CustodyEvents.custodyReassigned, CustodyEvents.itemCheckedOut:
                let to = data.member("to")?.stringValue
                _ = addAction(
                    entry, objects: objects, participants: to.flatMap { people[$0] }.map { [$0] } ?? [],
                    description: Self.describe(data))
            case CustodyEvents.itemStored, CustodyEvents.itemCheckedIn:
                _ = addAction(
                    entry, location: data.member("location")?.stringValue, objects: objects,
                    description: Self.describe(data, skipping: ["location"]))
            default:
                _ = addAction(entry, objects: objects, description: Self.describe(data))
            }
        }

        /// One image segment: a file with its name, size and hashes.
        mutating func addImage(_ image: JSONValue, entry: Entry, index: Int) -> String {
            let file = CaseGraph.iri("file", entry: entry.body.id, role: "image-\(index)")
            var hashes: [JSONValue] = []
            for (position, hash) in (image.member("hashes")?.arrayValue ?? []).enumerated() {
                let method: String
                switch hash.member("alg")?.stringValue {
                case "md5": method = "MD5"
                case "sha1": method = "SHA1"
                default: method = "SHA256"
                }
                hashes.append(
                    .object([
                        JSONMember(
                            "@id",
                            .string(
                                CaseGraph.iri("hash", entry: entry.body.id, role: "image-\(index)-hash-\(position)"))),
                        JSONMember("@type", .string("uco-types:Hash")),
                        JSONMember("uco-types:hashMethod", .string(method)),
                        JSONMember(
                            "uco-types:hashValue",
                            .object([
                                JSONMember("@type", .string("xsd:hexBinary")),
                                JSONMember("@value", .string(hash.member("value")?.stringValue ?? "")),
                            ])),
                    ]))
            }
            add([
                JSONMember("@id", .string(file)), JSONMember("@type", .string("uco-observable:File")),
                JSONMember(
                    "uco-core:hasFacet",
                    .array([
                        .object([
                            JSONMember(
                                "@id",
                                .string(CaseGraph.iri("file-facet", entry: entry.body.id, role: "image-\(index)-file"))),
                            JSONMember("@type", .string("uco-observable:FileFacet")),
                            JSONMember("uco-observable:fileName", .string(image.member("name")?.stringValue ?? "")),
                            JSONMember("uco-observable:sizeInBytes", image.member("size") ?? .integer(0)),
                        ]),
                        .object([
                            JSONMember(
                                "@id",
                                .string(
                                    CaseGraph.iri(
                                        "content-data-facet", entry: entry.body.id, role: "image-\(index)-content"))),
                            JSONMember("@type", .string("uco-observable:ContentDataFacet")),
                            JSONMember("uco-observable:hash", .array(hashes)),
                        ]),
                    ])),
            ])
            return file
        }

        /// The entry's remaining data as one readable line: `name: value; …` (hash lists summarized by SHA-256).
        static func describe(_ data: JSONValue, skipping: Set<String> = []) -> String? {
            var parts: [String] = []
            for member in data.objectMembers ?? [] where !skipping.contains(member.name) {
                switch member.value {
                case .string(let text): parts.append("\(member.name): \(text)")
                case .integer(let number): parts.append("\(member.name): \(number)")
                case .bool(let flag): parts.append("\(member.name): \(flag ? "yes" : "no")")
                case .array(let values):
                    let sha = values.compactMap { value in
                        value.member("alg")?.stringValue == "sha256" ? value.member("value")?.stringValue : nil
                    }
                    let texts = values.compactMap(\.stringValue)
                    if !sha.isEmpty { parts.append("\(member.name) SHA-256: \(sha.joined(separator: ", "))") }
                    if !texts.isEmpty { parts.append("\(member.name): \(texts.joined(separator: ", "))") }
                default: break
                }
            }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        }
    }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Indented JSON with members in the order given (for files people read and diff); strings and numbers as JCS.
enum PrettyJSON {
    static func write(_ value: JSONValue, to out: inout [UInt8], indent: Int) {
        let pad = Array(repeating: UInt8(ascii: " "), count: indent + 2)
        switch value {
        case .array(let values) where !values.isEmpty:
            out.append(contentsOf: "[\n".utf8)
            for (index, element) in values.enumerated() {
                out += pad
                write(element, to: &out, indent: indent + 2)
                out.append(contentsOf: (index == values.count - 1 ? "\n" : ",\n").utf8)
            }
            out += Array(repeating: UInt8(ascii: " "), count: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(contentsOf: "{\n".utf8)
            for (index, member) in members.enumerated() {
                out += pad
                JCS.write(.string(member.name), to: &out)
                out.append(contentsOf: ": ".utf8)
                write(member.value, to: &out, indent: indent + 2)
                out.append(contentsOf: (index == members.count - 1 ? "\n" : ",\n").utf8)
            }
            out += Array(repeating: UInt8(ascii: " "), count: indent)
            out.append(UInt8(ascii: "}"))
        default:
            JCS.write(value, to: &out)
        }
    }
}
