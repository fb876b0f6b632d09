import CustodyDomain
import Foundation
import LedgerCore
import LedgerCrypto

/// Who a key belongs to.
public struct Identity: Sendable {
    /// The person's name (1–200 characters).
    public var name: String
    /// The person id (FORMAT.md §4.1: 1–64 of `A-Z a-z 0-9 . _ @ -`), the same for all of the person's keys.
    public var person: String
    /// The person's agency (1–200 characters).
    public var agency: String

    /// An identity; it is checked when a key is generated for it or a ledger is created with it as administrator.
    public init(name: String, person: String, agency: String) {
        self.name = name
        self.person = person
        self.agency = agency
    }

    func validate() throws(LedgerError) {
        guard Identifiers.isDisplayText(name, max: 200) else {
            throw .usage("--name must be 1 to 200 characters without control characters")
        }
        guard Identifiers.isDisplayText(agency, max: 200) else {
            throw .usage("--agency must be 1 to 200 characters without control characters")
        }
        guard Identifiers.isPersonID(person) else { throw .usage("--person must be 1 to 64 of A-Z a-z 0-9 . _ @ -") }
    }
}

/// Key use cases: a person generating their own key and request, an admin registering or revoking keys.
public enum KeyManagement {
    /// Generates a key, writes it to `keyPath` (mode 0600, never overwriting), and returns the signed
    /// registration request text to hand to an administrator.
    public static func generate(keyPath: String, passphrase: String?, identity: Identity, origin: String) throws
        -> (keyID: String, request: String)
    {
        try identity.validate()
        guard Identifiers.isOrigin(origin) else {
            throw LedgerError.usage("origin \"\(origin)\" is not a valid ledger origin")
        }
        let key = Ed25519PrivateKey.generate()
        do { try key.write(toNewFile: keyPath, passphrase: passphrase) } catch {
            throw LedgerError.usage(error.description)
        }
        let request = KeyRequest(
            agency: identity.agency, ledger: origin, name: identity.name, person: identity.person,
            publicKey: key.publicKey)
        return (KeyFiles.keyID(key.publicKey), request.signedDocument(with: key))
    }

    /// Registers the key of a signed registration request, signed by an admin key.
    public static func register(
        requestText: [UInt8], roles: [String], admin: Ed25519PrivateKey, store: any LedgerStore, id: String? = nil
    ) throws -> (keyID: String, seq: Int64) {
        let origin = try store.read { try $0.meta("origin") } ?? ""
        let (request, publicKey, signature) = try checkedRequest(requestText, origin: origin, roles: roles)
        guard !roles.isEmpty else { throw LedgerError.usage("give at least one role with --roles") }
        let keyID = KeyFiles.keyID(publicKey)
        let draft = EventDraft(
            id: id, type: EventTypes.keyRegistered, stream: "key/\(keyID)",
            data: registrationData(request, keyID: keyID, roles: roles), signer: admin,
            presigned: [EntrySignature(key: keyID, signature: signature)])
        do {
            let result = try Appender.append([draft], to: store)
            return (keyID, result.seqs[0])
        } catch {
            // A key registered before is refused by the stream rule (after the signer's role, which is checked
            // first): said in those words, as the server says it.
            let failure = LedgerError.from(error)
            if failure.code == .invalidEntry, let head = try? store.read({ try $0.streamHead("key/\(keyID)") }) {
                throw alreadyRegistered(keyID, revision: head.rev)
            }
            throw failure
        }
    }

    /// The refusal of a key registered before (its stream's revision, when known), wherever it is registered from.
    public static func alreadyRegistered(_ keyID: some StringProtocol, revision: Int64? = nil) -> LedgerError {
        LedgerError(
            code: .exists,
            "key \(keyID.prefix(12))… is already registered"
                + (revision.map { " (its stream is at revision \($0))" } ?? ""))
    }

    /// The `key.registered` statement (format 2) for a signed registration request, signed by an admin key at the
    /// key stream's `position`, carrying the request's proof of possession: what an administrator submits to a
    /// server (`ledger key register … --ledger https://…`).
    public static func registrationStatement(
        requestText: [UInt8], roles: [String], admin: Ed25519PrivateKey, position: StreamPosition
    ) throws -> SignedStatement {
        let (request, publicKey, signature) = try checkedRequest(requestText, origin: position.ledger, roles: roles)
        guard !roles.isEmpty else { throw LedgerError.usage("give at least one role with --roles") }
        let keyID = KeyFiles.keyID(publicKey)
        guard position.stream == "key/\(keyID)" else {
            throw LedgerError.usage("the position is of \(position.stream), not of key/\(keyID)")
        }
        var statement = try StatementSigning.sign(
            at: position, type: EventTypes.keyRegistered,
            data: registrationData(request, keyID: keyID, roles: roles), signer: admin)
        statement.add(EntrySignature(key: keyID, signature: signature))
        return statement
    }

    /// A signed registration request parsed and checked: for ledger `origin`, with known roles (at least one).
    public static func checkedRequest(_ requestText: [UInt8], origin: String, roles: [String]) throws -> (
        request: KeyRequest, publicKey: Ed25519PublicKey, signature: [UInt8]
    ) {
        let (request, publicKey, signature): (KeyRequest, Ed25519PublicKey, [UInt8])
        do { (request, publicKey, signature) = try KeyRequest.parseSigned(requestText) } catch {
            throw LedgerError.usage("invalid registration request: \(error.description)")
        }
        guard request.ledger.hasSameBytes(as: origin) else {
            throw LedgerError.usage("the request is for ledger \"\(request.ledger)\", not this ledger \"\(origin)\"")
        }
        for role in roles where !Roles.all.contains(role) {
            throw LedgerError.usage("unknown role \"\(role)\" (known: \(Roles.all.joined(separator: ", ")))")
        }
        return (request, publicKey, signature)
    }

    /// The data of a `key.registered` entry for a request and the roles an administrator grants.
    public static func registrationData(_ request: KeyRequest, keyID: String, roles: [String]) -> JSONValue {
        .object([
            JSONMember("agency", .string(request.agency)), JSONMember("key", .string(keyID)),
            JSONMember("name", .string(request.name)), JSONMember("person", .string(request.person)),
            JSONMember("public_key", .string(request.publicKey)),
            JSONMember("roles", .array(roles.map { .string($0) })),
        ])
    }

    /// Revokes a key, signed by an admin or by the key itself.
    public static func revoke(
        keyID: String, reason: String, compromisedSinceSeq: Int64?, signer: Ed25519PrivateKey, store: any LedgerStore
    ) throws -> Int64 {
        var data: [JSONMember] = [JSONMember("reason", .string(reason))]
        if let compromisedSinceSeq { data.append(JSONMember("compromised_since_seq", .integer(compromisedSinceSeq))) }
        let draft = EventDraft(type: EventTypes.keyRevoked, stream: "key/\(keyID)", data: .object(data), signer: signer)
        return try Appender.append([draft], to: store).seqs[0]
    }
}

/// Creating a ledger: its log key, its first administrator, and the genesis entries.
public enum LedgerSetup {
    /// What `ledger init` made.
    public struct Result: Sendable {
        /// The ledger's origin.
        public let origin: String
        /// The key id of the first administrator's key.
        public let adminKeyID: String
        /// The log key's vkey text, for verifiers to pin.
        public let logVKey: String
        /// Where the administrator's private key was written.
        public let adminKeyPath: String
        /// Where the log key was written.
        public let logKeyPath: String
    }

    /// Creates a new ledger at `location`: writes the admin and log key files (mode 0600), then seq 1 (`ledger.created`)
    /// and seq 2 (`key.registered`, the admin) in the transaction that creates the file.
    ///
    /// On any failure nothing is left behind.
    public static func initialize(
        at location: LedgerLocation, origin: String, admin identity: Identity, adminKeyPath: String,
        logKeyPath: String, passphrase: String?, format: Int64 = EntryBody.statementVersion
    ) throws -> Result {
        guard format == EntryBody.version || format == EntryBody.statementVersion else {
            throw LedgerError.usage("format \(format) does not exist (1 or 2)")
        }
        guard Identifiers.isOrigin(origin) else {
            throw LedgerError.usage(
                "origin \"\(origin)\" must start with a letter or digit and contain only A-Z a-z 0-9 . _ / : - (at most 255)"
            )
        }
        try identity.validate()
        guard !location.exists else {
            throw LedgerError.usage("\(location) already exists; a ledger is never overwritten")
        }
        for keyPath in [adminKeyPath, logKeyPath] where FileManager.default.fileExists(atPath: keyPath) {
            throw LedgerError.usage("\(keyPath) already exists; key files are never overwritten")
        }
        let admin = Ed25519PrivateKey.generate()
        let logKey = Ed25519PrivateKey.generate()
        let logVKey = try NoteVerifierKey(name: origin, publicKey: logKey.publicKey)
        var written: [String] = []
        do {
            try admin.write(toNewFile: adminKeyPath, passphrase: passphrase)
            written.append(adminKeyPath)
            try logKey.write(toNewFile: logKeyPath, passphrase: passphrase)
            written.append(logKeyPath)
            let adminID = KeyFiles.keyID(admin.publicKey)
            let request = KeyRequest(
                agency: identity.agency, ledger: origin, name: identity.name, person: identity.person,
                publicKey: admin.publicKey)
            let drafts = [
                EventDraft(
                    type: EventTypes.ledgerCreated, stream: "ledger",
                    data: .object([JSONMember("log_vkey", .string(logVKey.vkey))]), signer: admin),
                EventDraft(
                    type: EventTypes.keyRegistered, stream: "key/\(adminID)",
                    data: KeyManagement.registrationData(request, keyID: adminID, roles: [Roles.admin]), signer: admin),
            ]
            _ = try location.create { transaction in
                try transaction.setMeta("origin", origin)
                // Version 2: the appender signs a checkpoint with every commit group, with the key in this file.
                if format == EntryBody.statementVersion {
                    try transaction.setMeta("format", "custody-ledger/v2")
                    try transaction.setMeta(
                        LogKeyFile.metaName, URL(fileURLWithPath: logKeyPath).standardizedFileURL.path)
                }
                return try Appender.append(
                    drafts, in: transaction, genesisActor: adminID, genesis: (format, logKey))
            }
            return Result(
                origin: origin, adminKeyID: adminID, logVKey: logVKey.vkey, adminKeyPath: adminKeyPath,
                logKeyPath: logKeyPath)
        } catch {
            for file in written { try? FileManager.default.removeItem(atPath: file) }
            throw LedgerError.from(error)
        }
    }
}
