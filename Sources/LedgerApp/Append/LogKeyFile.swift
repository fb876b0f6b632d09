import Foundation
import LedgerCore
import LedgerCrypto
import Synchronization

/// Where a workstation's appender finds the log key of a version-2 ledger, which signs a checkpoint with every commit
/// group (FORMAT.md §12.6), so that officers' commands need no log-key flag.
///
/// The file is `$LEDGER_LOG_KEY` when set, otherwise the file `ledger init` wrote, whose absolute path the ledger
/// remembers (meta `log_key_file`). It must be a private key file readable by its owner alone (mode 0600 or
/// stricter); an encrypted one is opened with `$LEDGER_LOG_KEY_PASSPHRASE`, else `$LEDGER_PASSPHRASE`. Its public
/// key must be the ledger's log key: a path changed by someone who can write the database names a key that
/// cannot sign for this ledger.
public enum LogKeyFile {
    /// The meta value holding the log key file's absolute path.
    public static let metaName = "log_key_file"

    private static let cache = Mutex<[String: Ed25519PrivateKey]>([:])

    /// The log key in force of the ledger in `store` (`$LEDGER_LOG_KEY`, or the file the ledger names): what a
    /// server signs a court bundle's disclosure statement with, as it signs checkpoints.
    public static func inForce(_ store: any LedgerStore) throws -> Ed25519PrivateKey {
        try store.read { reader in try load(for: reader, expected: LedgerFacts.logKeyInForce(reader)) }
    }

    /// The log key file the ledger in `store` names: `$LEDGER_LOG_KEY`, else the file `ledger init` (or a rotation)
    /// recorded; nil when it names none (a format-1 ledger).
    public static func path(of store: any LedgerStore) throws -> String? {
        try store.read { try path(in: $0) }
    }

    /// Refuses `key` unless it is the log key in force of the ledger in `store` (the file it came from is named).
    public static func requireInForce(_ key: Ed25519PrivateKey, of store: any LedgerStore, file: String) throws {
        try require(key, is: store.read { try LedgerFacts.logKeyInForce($0) }, file: file)
    }

    private static func path(in reader: any LedgerReader) throws -> String? {
        if let given = ProcessInfo.processInfo.environment["LEDGER_LOG_KEY"], !given.isEmpty { return given }
        return try reader.meta(metaName)
    }

    private static func require(_ key: Ed25519PrivateKey, is expected: NoteVerifierKey, file: String) throws {
        guard key.publicKey == expected.publicKey else {
            throw LedgerError.usage("\(file) is not this ledger's log key (the ledger's is \(expected.vkey))")
        }
    }

    /// The log key of the ledger `reader` reads, loaded once per file per process.
    static func load(for reader: any LedgerReader, expected: NoteVerifierKey) throws -> Ed25519PrivateKey {
        let environment = ProcessInfo.processInfo.environment
        guard let path = try path(in: reader) else {
            throw LedgerError.usage(
                "this ledger does not name its log key file: set LEDGER_LOG_KEY to the log key written by `ledger init`"
            )
        }
        if let key = cache.withLock({ $0[path] }), key.publicKey == expected.publicKey { return key }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LedgerError.usage(
                "cannot read the log key file \(path) (\(String(cString: strerror(errno)))): appends to this ledger"
                    + " are signed by its log key; set LEDGER_LOG_KEY to its file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LedgerError.usage(
                "the log key file \(path) may be read by others (mode \(String(info.st_mode & 0o777, radix: 8))):"
                    + " run `chmod 600 \(path)`")
        }
        let passphrase = [environment["LEDGER_LOG_KEY_PASSPHRASE"], environment["LEDGER_PASSPHRASE"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        let key: Ed25519PrivateKey
        do { key = try KeyFiles.load(path, passphrase: passphrase) } catch {
            throw LedgerError.usage("the log key file " + KeyFiles.problem(error, file: path))
        }
        try require(key, is: expected, file: path)
        cache.withLock { $0[path] = key }
        return key
    }
}
