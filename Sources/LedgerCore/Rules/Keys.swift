import LedgerCrypto

/// What the ledger knows about one registered key at some point in its history.
public struct KeyState: Sendable {
    /// The key id: hex of SHA-256 of the raw public key, 64 lowercase digits (FORMAT.md §4.1).
    public let keyID: String
    /// The public key that verifies the key's signatures.
    public let publicKey: Ed25519PublicKey
    /// The holder's name, as registered.
    public let name: String
    /// The person id of the key's holder (FORMAT.md §4.1); custody belongs to the person, not the key.
    public let person: String
    /// The holder's agency, as registered.
    public let agency: String
    /// The roles of its registration; a key's roles never change (FORMAT.md §4.4).
    public let roles: [String]
    /// The seq of its `key.registered` entry.
    public let registeredSeq: Int64
    /// The seq of its `key.revoked` entry, if revoked.
    public var revokedSeq: Int64?
    /// From a `key.revoked` entry: entries it signed after this seq are findings.
    public var compromisedSinceSeq: Int64?

    /// A key registered at `registeredSeq`, and revoked at `revokedSeq` if it was.
    public init(
        keyID: String, publicKey: Ed25519PublicKey, name: String, person: String, agency: String, roles: [String],
        registeredSeq: Int64, revokedSeq: Int64? = nil, compromisedSinceSeq: Int64? = nil
    ) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.name = name
        self.person = person
        self.agency = agency
        self.roles = roles
        self.registeredSeq = registeredSeq
        self.revokedSeq = revokedSeq
        self.compromisedSinceSeq = compromisedSinceSeq
    }

    /// True when the key may sign an entry at `seq` (FORMAT.md §4.4).
    public func isValid(atSeq seq: Int64) -> Bool {
        seq >= registeredSeq && (revokedSeq.map { seq <= $0 } ?? true)
    }

    /// True when the key holds `role`.
    public func hasRole(_ role: String) -> Bool { roles.contains { $0.hasSameBytes(as: role) } }
}

/// Read access to the keys a ledger has registered so far: the verifier's in-memory map, or a store's table
/// inside a write transaction.
public protocol KeyDirectory {
    /// The key with this id, or nil if it was never registered.
    func key(_ keyID: String) throws -> KeyState?
    /// How many registered, unrevoked keys hold the `admin` role.
    func activeAdminCount() throws -> Int
}

/// A registration request: a person's new public key and who they are, signed by the new key (FORMAT.md §4.3).
public struct KeyRequest: Sendable {
    /// The agency of the person asking (name text of 1–200 scalars).
    public let agency: String
    /// The origin of the ledger the key is to be registered in, so the signed request is good for that ledger only.
    public let ledger: String
    /// The name of the person asking (name text of 1–200 scalars).
    public let name: String
    /// The person id the key is for (FORMAT.md §4.1).
    public let person: String
    /// Canonical base64 of the raw public key.
    public let publicKey: String

    /// A request for `publicKey`; nothing is checked here: the rules check the `key.registered` entry made from it.
    public init(agency: String, ledger: String, name: String, person: String, publicKey: Ed25519PublicKey) {
        self.agency = agency
        self.ledger = ledger
        self.name = name
        self.person = person
        self.publicKey = Base64.encode(publicKey.raw)
    }

    /// Rebuilds the request from `key.registered` data and the entry's origin.
    init?(registrationData data: JSONValue, ledger: String) {
        guard let agency = data.member("agency")?.stringValue, let name = data.member("name")?.stringValue,
            let person = data.member("person")?.stringValue, let publicKey = data.member("public_key")?.stringValue
        else { return nil }
        self.agency = agency
        self.ledger = ledger
        self.name = name
        self.person = person
        self.publicKey = publicKey
    }

    /// The request object.
    public var json: JSONValue {
        .object([
            JSONMember("agency", .string(agency)), JSONMember("ledger", .string(ledger)),
            JSONMember("name", .string(name)), JSONMember("person", .string(person)),
            JSONMember("public_key", .string(publicKey)), JSONMember("v", .integer(1)),
        ])
    }

    /// The key-request message the new key signs.
    public var message: [UInt8] { SigningMessage.keyRequest(json) }

    /// The request's key id, or nil if `publicKey` is not canonical base64.
    public var keyID: String? { Base64.decodeCanonical(publicKey).map { KeyID.of(raw: $0) } }

    /// The signed request document `{"request": …, "sig": …}` as canonical JSON text.
    public func signedDocument(with key: Ed25519PrivateKey) -> String {
        let document: JSONValue = .object([
            JSONMember("request", json), JSONMember("sig", .string(Base64.encode(key.sign(message)))),
        ])
        return String(decoding: JCS.serialize(document), as: UTF8.self)
    }

    /// Parses and checks a signed request document: the form of FORMAT.md §4.3, valid fields, and the new key's
    /// signature.
    ///
    /// Returns the request, the public key and the signature.
    public static func parseSigned(_ text: [UInt8]) throws(CoreError) -> (KeyRequest, Ed25519PublicKey, [UInt8]) {
        let json: JSONValue
        do { json = try JSONParser.parse(text, profile: .ledgerV1) } catch {
            throw .format("the request is not valid JSON: \(error)")
        }
        guard let members = json.objectMembers, Set(members.map(\.name)) == ["request", "sig"], members.count == 2,
            let request = json.member("request"), let requestMembers = request.objectMembers,
            Set(requestMembers.map(\.name)) == ["agency", "ledger", "name", "person", "public_key", "v"],
            requestMembers.count == 6, request.member("v") == .integer(1)
        else { throw .format("not a custody-ledger v1 key registration request") }
        guard let sigText = json.member("sig")?.stringValue, let sig = Base64.decodeCanonical(sigText), sig.count == 64
        else {
            throw .format("the request's sig is not canonical base64 of 64 bytes")
        }
        guard let agency = request.member("agency")?.stringValue, Identifiers.isDisplayText(agency, max: 200),
            let name = request.member("name")?.stringValue, Identifiers.isDisplayText(name, max: 200)
        else { throw .format("the request's name and agency must be 1 to 200 characters without control characters") }
        guard let person = request.member("person")?.stringValue, Identifiers.isPersonID(person) else {
            throw .format("the request's person id must be 1 to 64 of [A-Za-z0-9._@-]")
        }
        guard let ledger = request.member("ledger")?.stringValue,
            let keyText = request.member("public_key")?.stringValue,
            let raw = Base64.decodeCanonical(keyText)
        else { throw .format("the request's public key is not canonical base64") }
        let publicKey: Ed25519PublicKey
        do { publicKey = try Ed25519PublicKey(raw: raw) } catch {
            throw .format("the request's public key is invalid: \(error)")
        }
        let parsed = KeyRequest(agency: agency, ledger: ledger, name: name, person: person, publicKey: publicKey)
        guard publicKey.verify(signature: sig, message: parsed.message) else {
            throw .format("the request's signature does not verify with its public key")
        }
        return (parsed, publicKey, sig)
    }
}
