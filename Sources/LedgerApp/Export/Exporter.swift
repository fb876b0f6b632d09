import CourtBundle
import CustodyDomain
import Foundation
import LedgerCore
import LedgerCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// What to export, and how.
public struct ExportOptions: Sendable {
    /// The case or items to disclose.
    public var selection: DisclosureSelection
    /// The bag's folder; it must not exist yet.
    public var out: String
    /// Cosignatures the checkpoint must carry.
    public var witnessQuorum = 0
    /// Export as of this stored checkpoint instead of the newest that covers the selection.
    public var size: Int64?
    /// `Source-Organization`; defaults to the agency of the ledger's first administrator.
    public var organization: String?
    /// `Bagging-Date` (YYYY-MM-DD); defaults to the date of ``exportedAt``.
    public var baggingDate: String?
    /// Who makes the bag, named in the signed disclosure statement (FORMAT.md §11.4); defaults to the login name of
    /// the user running the export.
    public var exportedBy: String?
    /// When the bag is made, `YYYY-MM-DDTHH:MM:SSZ`; defaults to now.
    public var exportedAt: String?
    /// Told what the export is doing: a phase, how much of it is done and its total.
    public var progress: (@Sendable (_ phase: String, _ done: Int64, _ total: Int64) -> Void)?

    /// Export `selection` into the new folder `out`, with no witness quorum, as of the newest covering checkpoint.
    public init(selection: DisclosureSelection, out: String) {
        self.selection = selection
        self.out = out
    }
}

/// What an export wrote.
public struct ExportResult: Sendable {
    /// The bag's folder.
    public let directory: String
    /// The size of the checkpoint the disclosure is proven against.
    public let checkpointSize: Int64
    /// True when the export signed a new checkpoint for it.
    public let newCheckpoint: Bool
    /// Entries disclosed.
    public let entries: Int
    /// Streams disclosed, `ledger` not counted.
    public let streams: Int
    /// Witness cosignatures the checkpoint carries.
    public let cosignatures: Int
    /// True when the bag holds an RFC 3161 response over the checkpoint.
    public let hasTimestamp: Bool
    /// Files written, tag files included.
    public let files: Int
    /// Their total size in bytes.
    public let bytes: Int
    /// The ledger's log key (vkey), which a verifier should pin.
    public let logKey: String
    /// Hidden folders that exports killed before finishing had left in the same parent, removed before this one
    /// was written (their paths).
    public let removedPartials: [String]
    /// Who made the bag and when, as the signed disclosure statement says.
    public let export: DisclosureExport
}

/// A bag's files, made and not yet written, and what they hold.
public struct PreparedBag: Sendable {
    /// Every file, by its path inside the bag (payload first, then the tag files).
    public let files: [(path: String, bytes: [UInt8])]
    let checkpointSize: Int64
    let newCheckpoint: Bool
    let entries: Int
    let streams: Int
    let cosignatures: Int
    let hasTimestamp: Bool
    /// The ledger's log key (vkey), which a verifier should pin.
    public let logKey: String
    /// Who made the bag and when, as the signed disclosure statement says.
    public let export: DisclosureExport

    /// The result of writing the bag to `directory`.
    public func result(directory: String, removedPartials: [String] = []) -> ExportResult {
        ExportResult(
            directory: directory, checkpointSize: checkpointSize, newCheckpoint: newCheckpoint, entries: entries,
            streams: streams, cosignatures: cosignatures, hasTimestamp: hasTimestamp, files: files.count,
            bytes: files.reduce(0) { $0 + $1.bytes.count }, logKey: logKey, removedPartials: removedPartials,
            export: export)
    }
}

/// Writes court-export bundles (FORMAT.md §11).
public enum Exporter {
    /// Exports `options.selection` as a BagIt bag; the folder appears complete or not at all.
    public static func export(store: any LedgerStore, logKey: Ed25519PrivateKey, options: ExportOptions) throws
        -> ExportResult
    {
        guard !FileManager.default.fileExists(atPath: options.out) else {
            throw LedgerError.usage("\(options.out) exists already; name a new folder for the bundle")
        }
        let bag = try prepare(store: store, logKey: logKey, options: options)
        let removed = PartialExports.removeStale(in: DurableFiles.parent(of: trimmedPath(options.out)))
        try writeBag(bag.files, to: options.out, progress: options.progress)
        return bag.result(directory: options.out, removedPartials: removed)
    }

    /// Every file of the bag for `options.selection`, made and not written.
    ///
    /// What `export` writes, and what a server sends as an archive (`options.out` is not used). A new checkpoint
    /// is signed when none stored covers the selection and no cosignature is required.
    public static func prepare(store: any LedgerStore, logKey: Ed25519PrivateKey, options: ExportOptions) throws
        -> PreparedBag
    {
        let export: DisclosureExport
        do {
            export = try DisclosureExport(
                time: options.exportedAt ?? nowUTC(), exporter: options.exportedBy ?? loginName())
        } catch { throw LedgerError.usage("--exported-by: \(error)") }
        var (plan, newCheckpoint): (Plan?, Bool) = try store.read { reader in
            try Exporter.plan(reader, logKey: logKey, options: options)
        }
        if plan == nil {
            // No stored checkpoint covers the selection and no cosignature is required: sign one now.
            let (signed, created) = try Checkpointer.checkpoint(store: store, logKey: logKey)
            newCheckpoint = created
            var fixed = options
            fixed.size = signed.checkpoint.size
            plan = try store.read { try Exporter.plan($0, logKey: logKey, options: fixed).plan }
        }
        guard let plan else { throw LedgerError.usage("no checkpoint covers the selection") }
        let files = try bagFiles(plan, store: store, logKey: logKey, export: export, options: options)
        for file in files {
            if let limit = BundleLayout.readLimits[file.path], file.bytes.count > limit {
                throw LedgerError.usage(
                    "\(file.path) would be \(file.bytes.count) bytes, more than the \(limit) a verifier reads (FORMAT.md §11.1); export fewer items"
                )
            }
        }
        return PreparedBag(
            files: files, checkpointSize: plan.checkpoint.checkpoint.size, newCheckpoint: newCheckpoint,
            entries: plan.disclosed.records.count, streams: plan.disclosed.streams.count,
            cosignatures: cosignatureCount(plan.checkpoint), hasTimestamp: plan.timestamp != nil,
            logKey: plan.logKey.vkey, export: export)
    }

    /// Everything a bag is made from, read from one snapshot.
    struct Plan {
        let origin: String
        let checkpoint: SignedCheckpoint
        let timestamp: [UInt8]?
        let disclosed: DisclosedRecords
        let proofs: [[UInt8]]
        let firstAgency: String
        let logKey: NoteVerifierKey
    }

    /// The plan, or nil when a new checkpoint must be signed first.
    static func plan(_ reader: any LedgerReader, logKey: Ed25519PrivateKey, options: ExportOptions) throws -> (
        plan: Plan?, newCheckpoint: Bool
    ) {
        guard let origin = try reader.meta("origin") else { throw LedgerError.usage("the ledger is empty") }
        let ledgerLogKey = try LedgerFacts.logKey(reader)
        guard try LedgerFacts.logKeyInForce(reader).publicKey == logKey.publicKey else {
            throw LedgerError.usage("this is not the ledger's log key (the ledger's is \(ledgerLogKey.vkey))")
        }
        let notes = try reader.checkpointNotes()
        let quorum = options.witnessQuorum
        let chosen: (size: Int64, note: String)
        let disclosed: DisclosedRecords
        if let size = options.size {
            guard let stored = notes.first(where: { $0.size == size }) else {
                throw LedgerError.usage("no stored checkpoint of size \(size)")
            }
            guard cosignatureCount(try SignedCheckpoint(noteText: stored.note)) >= quorum else {
                throw LedgerError.usage("the checkpoint of size \(size) carries fewer than \(quorum) cosignatures")
            }
            chosen = stored
            disclosed = try DisclosedRecords.gather(
                reader, selection: options.selection, size: size, progress: options.progress)
        } else {
            let current = try DisclosedRecords.gather(
                reader, selection: options.selection, size: try reader.entryCount(), progress: options.progress)
            let covering = try notes.last {
                try $0.size >= current.lastSeq && cosignatureCount(SignedCheckpoint(noteText: $0.note)) >= quorum
            }
            guard let covering else {
                guard quorum == 0 else {
                    throw LedgerError.usage(
                        "no stored checkpoint with \(quorum) cosignatures covers the selection (up to seq \(current.lastSeq)); have witnesses cosign a newer checkpoint, or name an older one with --size"
                    )
                }
                return (nil, false)
            }
            chosen = covering
            // Every entry disclosed at the ledger's size is at or below the checkpoint (a later one would raise
            // lastSeq), so the disclosure at the checkpoint's size holds exactly the same records.
            disclosed = current.atSize(covering.size)
        }
        let checkpoint = try SignedCheckpoint(noteText: chosen.note)
        let size = checkpoint.checkpoint.size
        guard try reader.root(size: size) == checkpoint.checkpoint.root else {
            throw LedgerError.integrity(
                "the stored tree does not lead to the checkpoint of size \(size); run `ledger verify`")
        }
        let subtree = MerkleProof.memoized(ProofBuilder.subtreeHashes(reader))
        let total = Int64(disclosed.records.count)
        var done: Int64 = 0
        let proofs = try disclosed.records.map { record -> [UInt8] in
            done += 1
            if done % 256 == 0 || done == total { options.progress?("building inclusion proofs", done, total) }
            let hashes = try MerkleProof.inclusion(index: record.seq - 1, size: size, subtree: subtree)
            let proof = JSONValue.object([
                JSONMember("hashes", .array(hashes.map { .string(Hex.encode($0)) })),
                JSONMember("index", .integer(record.seq - 1)), JSONMember("seq", .integer(record.seq)),
                JSONMember("tree_size", .integer(size)),
            ])
            return JCS.serialize(proof)
        }
        let genesisKey = disclosed.entries.first { $0.body.seq == 2 }
        let firstAgency = genesisKey?.body.data.member("agency")?.stringValue ?? ""
        let timestamp = try reader.timestampResponses().first { $0.size == size }?.response
        return (
            Plan(
                origin: origin, checkpoint: checkpoint, timestamp: timestamp, disclosed: disclosed, proofs: proofs,
                firstAgency: firstAgency, logKey: ledgerLogKey), false
        )
    }

    static func cosignatureCount(_ checkpoint: SignedCheckpoint) -> Int {
        checkpoint.note.signatures.filter {
            !$0.name.hasSameBytes(as: checkpoint.checkpoint.origin) && $0.signature.count == 72
        }.count
    }

    /// Every file of the bag, by path.
    static func bagFiles(
        _ plan: Plan, store: any LedgerStore, logKey: Ed25519PrivateKey, export: DisclosureExport,
        options: ExportOptions
    ) throws -> [(path: String, bytes: [UInt8])] {
        // Version 2 (FORMAT.md §11.4): the renderings show who exported the bag and when; the signed statement then
        // binds every other payload file by its SHA-256.
        let unbound = plan.disclosed.statement(origin: plan.origin, export: export)
        let ledger = DisclosedLedger(
            entries: plan.disclosed.entries, checkpoint: plan.checkpoint, statement: unbound,
            hasTimestamp: plan.timestamp != nil)
        options.progress?("rendering the report", 0, 1)
        let custody = ledger.custody()
        var entries: [UInt8] = []
        for record in plan.disclosed.records {
            entries += record.record
            entries.append(0x0a)
        }
        var payload: [(path: String, bytes: [UInt8])] = [
            (BundleLayout.checkpoint, Array(plan.checkpoint.noteText.utf8)),
            (BundleLayout.entries, entries),
            (BundleLayout.proofs, plan.proofs.flatMap { $0 + [0x0a] }),
            (BundleLayout.report, CustodyReport.render(ledger, custody: custody)),
            (BundleLayout.graph, CaseGraph.render(ledger, custody: custody)),
            (BundleLayout.instructions, Array(VerifyInstructions.text(ledger: ledger).utf8)),
        ]
        if let targets = TargetsAppendix.render(ledger, custody: custody) {
            payload.append((BundleLayout.targets, targets))
        }
        if let timestamp = plan.timestamp { payload.append((BundleLayout.timestamp, timestamp)) }
        options.progress?("rendering the report", 1, 1)
        let statement = unbound.binding(
            payload.map { DisclosedFile(path: $0.path, sha256: Hex.encode(SHA256.hash($0.bytes))) })
        payload.append((BundleLayout.disclosure, Array(try statement.signed(with: logKey).utf8)))
        let info = BagIt.bagInfo([
            ("Source-Organization", options.organization ?? plan.firstAgency),
            ("Bagging-Date", options.baggingDate ?? export.date),
            ("External-Identifier", options.selection.description),
            ("Payload-Oxum", BagIt.payloadOxum(sizes: payload.map(\.bytes.count))),
            ("Ledger-Origin", plan.origin), ("Ledger-Log-Key", plan.logKey.vkey),
            ("Checkpoint-Size", String(plan.checkpoint.checkpoint.size)),
            ("Checkpoint-Root", Base64.encode(plan.checkpoint.checkpoint.root)),
            (
                "Bag-Software-Agent",
                "custody-ledger \(LedgerVersion.current) (commit \(BuildInfo.commit)); \(OpenSSLInfo.version); \(store.engineDescription)"
            ),
        ])
        var tags: [(path: String, bytes: [UInt8])] = [
            ("bagit.txt", Array(BagIt.declaration.utf8)), ("bag-info.txt", Array(info.utf8)),
            (BagIt.payloadManifest, Array(BagIt.manifest(payload.map { ($0.path, SHA256.hash($0.bytes)) }).utf8)),
        ]
        tags.append((BagIt.tagManifest, Array(BagIt.manifest(tags.map { ($0.path, SHA256.hash($0.bytes)) }).utf8)))
        return payload + tags
    }

    /// Now, `YYYY-MM-DDTHH:MM:SSZ`.
    static func nowUTC() -> String {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return String(LedgerTime.format(millisecondsSince1970: milliseconds).prefix(19)) + "Z"
    }

    /// The login name of the user running the export (the password database, then `$USER`, `$LOGNAME`).
    static func loginName() -> String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name, !String(cString: name).isEmpty {
            return String(cString: name)
        }
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? "uid \(getuid())"
    }

    /// `directory` without a trailing `/`.
    static func trimmedPath(_ directory: String) -> String {
        directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    /// Writes the files into a hidden sibling folder (``PartialExports``), locked while it is written, flushes
    /// them, then renames it to `directory`: the folder appears complete or not at all.
    public static func writeBag(
        _ files: [(path: String, bytes: [UInt8])], to directory: String,
        progress: (@Sendable (String, Int64, Int64) -> Void)? = nil
    ) throws {
        let trimmed = trimmedPath(directory)
        let partial = try PartialExports.create(for: trimmed)
        defer { close(partial.lock) }
        let temporary = partial.path
        let manager = FileManager.default
        do {
            let total = Int64(files.reduce(0) { $0 + $1.bytes.count })
            var written: Int64 = 0
            for file in files {
                written += Int64(file.bytes.count)
                progress?("writing the bag (bytes)", written, total)
                let path = temporary + "/" + file.path
                try manager.createDirectory(atPath: DurableFiles.parent(of: path), withIntermediateDirectories: true)
                try DurableFiles.write(file.bytes, to: path)
            }
            for folder in ["data/ledger", "data/report", "data/case", "data", ""] {
                DurableFiles.syncDirectory(of: temporary + "/" + folder + "/x")
            }
            PausePoint.exportRename.reach()
            guard rename(temporary, trimmed) == 0 else {
                throw LedgerError.usage("cannot create \(directory): \(String(cString: strerror(errno)))")
            }
            DurableFiles.syncDirectory(of: trimmed)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw LedgerError.from(error)
        }
    }
}

/// The commit the tool was built from, when it runs from a git checkout (`swift run`, `.build/…`).
enum BuildInfo {
    static let commit: String = {
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for _ in 0..<8 {
            url = url.deletingLastPathComponent()
            let git = url.appendingPathComponent(".git")
            guard let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) else {
                continue
            }
            let text = head.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.hasPrefix("ref: ") else { return String(text.prefix(12)) }
            let ref = String(text.dropFirst(5))
            if let hash = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
                return String(hash.prefix(12))
            }
            let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
            for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) { return String(line.prefix(12)) }
            return "unknown"
        }
        return "unknown"
    }()
}
