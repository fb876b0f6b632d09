import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerStores

/// A ledger made by `LedgerSetup` as `ledger init` makes it: by default a real SQLite ledger in a temporary folder;
/// given other stores (``InMemoryStores``), a ledger of theirs at the same location, with the key files in the folder.
public struct LedgerFixture {
    public let directory: TemporaryDirectory
    /// The ledger's location: the SQLite file's path, or the in-memory ledger's name.
    public let path: String
    /// The stores that resolve the location.
    public let stores: any LedgerStoreProvider
    /// The ledger opened through the stores as the command line opens it.
    public let store: any LedgerStore
    public let admin: Ed25519PrivateKey
    public let logKey: Ed25519PrivateKey
    public let origin: String

    public init(
        origin: String = "ledger.test.example/fixture", stores: any LedgerStoreProvider = StandardStores(),
        format: Int64 = EntryBody.statementVersion
    ) throws {
        directory = TemporaryDirectory()
        path = directory.path("custody.ledger")
        self.stores = stores
        let result = try LedgerSetup.initialize(
            at: LedgerLocation(path, stores: stores), origin: origin,
            admin: Identity(name: "Ada Admin", person: "ada", agency: "Test Agency"),
            adminKeyPath: directory.path("admin.pem"), logKeyPath: directory.path("log.pem"), passphrase: nil,
            format: format)
        store = try LedgerLocation(path, stores: stores).open()
        admin = try Ed25519PrivateKey(contentsOfFile: result.adminKeyPath)
        logKey = try Ed25519PrivateKey(contentsOfFile: result.logKeyPath)
        self.origin = origin
    }

    /// The fixture's ledger location, resolved as the command line resolves `--ledger`.
    public var location: LedgerLocation { LedgerLocation(path, stores: stores) }

    /// Opens the ledger again, as a new process would.
    public func reopen(readOnly: Bool = false) throws -> any LedgerStore {
        readOnly ? try location.openForReading() : try location.open()
    }

    /// Registers a new person's key through a signed request, as `ledger key register` does.
    @discardableResult
    public func register(
        name: String = "Bob Custodian", person: String = "bob", roles: [String] = ["custodian"],
        agency: String = "Test Agency"
    ) throws -> Ed25519PrivateKey {
        let key = Ed25519PrivateKey.generate()
        let request = KeyRequest(
            agency: agency, ledger: origin, name: name, person: person, publicKey: key.publicKey)
        _ = try KeyManagement.register(
            requestText: Array(request.signedDocument(with: key).utf8), roles: roles, admin: admin, store: store)
        return key
    }

    /// The number of entries.
    public func count() throws -> Int64 { try store.read { try $0.entryCount() } }

    /// The records, in order.
    public func records() throws -> [[UInt8]] {
        try store.read { reader in
            var records: [[UInt8]] = []
            try reader.forEachRecord(RecordFilter()) {
                records.append($0.record); return true
            }
            return records
        }
    }

    /// The key id of a key.
    public static func keyID(_ key: Ed25519PrivateKey) -> String { KeyFiles.keyID(key.publicKey) }
}

/// A ledger location for a path, resolved by the stores the command line uses.
public func ledgerLocation(_ path: String) -> LedgerLocation { LedgerLocation(path, stores: StandardStores()) }
