import CustodyDomain
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// Checks a court-export bag (FORMAT.md §11): every fact an independent verifier checks, the custody rules over
/// the disclosed history, and that the report and the CASE/UCO graph re-render to the same bytes.
///
/// Pure: it is handed what a reader found in the bag (``BagContents``: every layout file's size and SHA-256, the
/// bytes of the files it parses); the caller walks and reads the bag and checks the RFC 3161 response.
public enum BundleVerifier {
    /// What the verifier trusts.
    public struct Options: Sendable {
        /// The log key the bundle must be signed by; nil accepts the one entry 1 names, untrusted.
        public var trustedLogKey: NoteVerifierKey?
        /// Witnesses whose cosignatures on the bundle's checkpoint count.
        public var witnesses: [CosignerKey] = []
        /// How many of them must have cosigned.
        public var witnessQuorum = 0

        /// What to trust: the log key, witnesses and their quorum.
        public init(trustedLogKey: NoteVerifierKey? = nil, witnesses: [CosignerKey] = [], witnessQuorum: Int = 0) {
            self.trustedLogKey = trustedLogKey
            self.witnesses = witnesses
            self.witnessQuorum = witnessQuorum
        }
    }

    /// What a successful check established.
    public struct Result: Sendable {
        /// The disclosed entries, keys and checkpoint.
        public let ledger: DisclosedLedger
        /// The bundle's log key.
        public let logKey: NoteVerifierKey
        /// True when the log key was pinned by the verifier.
        public let trusted: Bool
        /// Each counted witness and when it cosigned.
        public let witnessTimes: [WitnessTime]
        /// Custody and compromised-key findings in the disclosed history.
        public let findings: [Finding]
        /// Keys disclosed.
        public let keys: Int
        /// Files in the bag.
        public let files: Int
    }

    /// Checks the bag whose files (path relative to the bag, with `/`) are `files`, all in memory.
    public static func verify(files: [String: [UInt8]], options: Options) throws(VerificationFailure) -> Result {
        try verify(bag: BagContents(files: files), options: options)
    }

    /// Checks the bag a reader found: the walk's problems first, then the manifests, then every rule of §11.
    public static func verify(bag: BagContents, options: Options) throws(VerificationFailure) -> Result {
        func fail(_ rule: VerificationRule, _ message: String, seq: Int64? = nil) -> VerificationFailure {
            VerificationFailure(seq: seq, rule: rule, message: message)
        }
        try checkBag(bag)
        let files = bag.contents
        let info: [(label: String, value: String)]
        do { info = try BagIt.parseBagInfo(String(decoding: files["bag-info.txt"] ?? [], as: UTF8.self)) } catch {
            throw fail(.bag, "\(error)")
        }
        func infoValue(_ label: String) throws(VerificationFailure) -> String {
            let values = info.filter { $0.label == label }
            guard values.count == 1 else { throw fail(.bag, "bag-info.txt needs exactly one \(label)") }
            return values[0].value
        }
        let payload = bag.files.filter { $0.key.hasPrefix("data/") }
        guard try infoValue("Payload-Oxum") == BagIt.payloadOxum(sizes: payload.values.map { Int($0.size) }) else {
            throw fail(.bag, "Payload-Oxum in bag-info.txt does not match the payload")
        }

        // Entries and the log key they name.
        let entries = try parseEntries(files[BundleLayout.entries] ?? [])
        guard entries.count >= 2, entries[0].body.seq == 1, entries[1].body.seq == 2 else {
            throw fail(.entries, "entries.jsonl must start with entries 1 and 2 (the genesis)")
        }
        let logKey: NoteVerifierKey
        do {
            guard
                case .ledgerCreated(let key) = try EntryRules.check(
                    entries[0], table: .custody, keys: ReplayedKeys(), genesisActor: nil)
            else { throw fail(.entries, "entry 1 is not ledger.created", seq: 1) }
            logKey = key
        } catch let failure as VerificationFailure { throw failure } catch {
            throw fail(.entries, "\(error)", seq: 1)
        }
        // Version 2: the log key may have been rotated; each rotation in the bag must be signed by the key before it
        // (FORMAT.md §12.10), and the bag's checkpoint and disclosure are signed by the last one.
        var chain = [logKey]
        for entry in entries where entry.body.seq > 1 && entry.body.type == EventTypes.logKeyRotated {
            guard let genesis = entry.body.genesis, let text = entry.body.data.member("log_vkey")?.stringValue,
                let next = try? NoteVerifierKey(vkey: text),
                let oldSig = entry.body.data.member("old_key_sig")?.stringValue.flatMap(Base64.decodeCanonical),
                let current = chain.last,
                current.publicKey.verify(
                    signature: oldSig, message: SigningMessage.logKeyRotation(genesis: genesis, newVKey: next.vkey))
            else {
                throw fail(.entries, "the log-key rotation is not signed by the log key in force", seq: entry.body.seq)
            }
            chain.append(next)
        }
        let keyInForce = chain[chain.count - 1]
        if let pinned = options.trustedLogKey, !chain.contains(pinned) {
            throw fail(.checkpoint, "the bundle's log key \(logKey.vkey) is not the pinned log key \(pinned.vkey)")
        }
        let origin = entries[0].body.ledger
        guard try infoValue("Ledger-Origin").hasSameBytes(as: origin),
            try infoValue("Ledger-Log-Key").hasSameBytes(as: logKey.vkey)
        else { throw fail(.bag, "Ledger-Origin or Ledger-Log-Key in bag-info.txt differ from entry 1") }

        // The checkpoint, its witnesses.
        let checkpoint: SignedCheckpoint
        do {
            checkpoint = try SignedCheckpoint(
                noteText: String(decoding: files[BundleLayout.checkpoint] ?? [], as: UTF8.self))
        } catch { throw fail(.checkpoint, "data/ledger/checkpoint: \(error)") }
        guard checkpoint.checkpoint.origin.hasSameBytes(as: origin), checkpoint.note.isSigned(by: keyInForce) else {
            throw fail(.checkpoint, "data/ledger/checkpoint is not signed by the log key \(keyInForce.vkey)")
        }
        let size = checkpoint.checkpoint.size
        guard try infoValue("Checkpoint-Size") == String(size),
            try infoValue("Checkpoint-Root") == Base64.encode(checkpoint.checkpoint.root)
        else { throw fail(.bag, "Checkpoint-Size or Checkpoint-Root in bag-info.txt differ from the checkpoint") }
        let witnessTimes = try Cosignature.checkQuorum(
            on: checkpoint.note, witnesses: options.witnesses, quorum: options.witnessQuorum)

        // Every record: its rules, signatures, and its inclusion proof.
        let keyCount = try checkRecords(entries, size: size)
        try checkProofs(files[BundleLayout.proofs] ?? [], entries: entries, checkpoint: checkpoint.checkpoint)

        // The disclosure statement and each stream's chain.
        let statement: DisclosureStatement
        do {
            statement = try DisclosureStatement(
                note: String(decoding: files[BundleLayout.disclosure] ?? [], as: UTF8.self), logKey: keyInForce)
        } catch { throw fail(.disclosure, "data/ledger/disclosure: \(error)") }
        guard statement.size == size else {
            throw fail(
                .disclosure, "the disclosure is made at size \(statement.size), the checkpoint's size is \(size)")
        }
        guard try infoValue("External-Identifier").hasSameBytes(as: statement.selection.description) else {
            throw fail(.bag, "External-Identifier in bag-info.txt is not the disclosure's selection")
        }
        try checkStreams(entries, statement: statement)

        // Custody rules, and the renderings.
        let ledger = DisclosedLedger(
            entries: entries, checkpoint: checkpoint, statement: statement,
            hasTimestamp: files[BundleLayout.timestamp] != nil)
        let custody = ledger.custody()
        let version = try ReportVersion(report: files[BundleLayout.report] ?? [])
        guard
            CustodyReport.render(ledger, custody: custody, version: version).elementsEqual(
                files[BundleLayout.report] ?? [])
        else {
            throw fail(.report, "data/report/custody-report.html differs from the report rendered from the entries")
        }
        guard
            CaseGraph.render(ledger, custody: custody, version: version).elementsEqual(files[BundleLayout.graph] ?? [])
        else {
            throw fail(.report, "data/case/custody.jsonld differs from the graph rendered from the entries")
        }
        return Result(
            ledger: ledger, logKey: logKey, trusted: options.trustedLogKey != nil, witnessTimes: witnessTimes,
            findings: custody.findings, keys: keyCount, files: bag.files.count)
    }

    // MARK: The bag

    /// The walk's first problem; bagit.txt, both manifests and every hash; the manifests list exactly the files
    /// present, and those are files of the bundle layout.
    static func checkBag(_ bag: BagContents) throws(VerificationFailure) {
        func fail(_ message: String) -> VerificationFailure {
            VerificationFailure(seq: nil, rule: .bag, message: message)
        }
        if let problem = bag.problem { throw fail(problem.description) }
        guard let declaration = bag.contents["bagit.txt"] else { throw fail("bagit.txt is missing: not a BagIt bag") }
        guard declaration.elementsEqual(BagIt.declaration.utf8) else {
            throw fail("bagit.txt is not exactly \"BagIt-Version: 1.0\" and \"Tag-File-Character-Encoding: UTF-8\"")
        }
        for (manifest, isPayload) in [(BagIt.payloadManifest, true), (BagIt.tagManifest, false)] {
            guard let bytes = bag.contents[manifest] else { throw fail("\(manifest) is missing") }
            let lines: [(path: String, hex: String)]
            do { lines = try BagIt.parseManifest(String(decoding: bytes, as: UTF8.self), name: manifest) } catch {
                throw fail("\(error)")
            }
            for line in lines {
                // A file outside the layout is refused whether or not it is present (§11.1); the reader did not
                // hash it.
                guard BundleLayout.files.contains(line.path) else {
                    throw fail(
                        "\(manifest) lists \(BagPath.display(Array(line.path.utf8))), which is not part of a custody-ledger bundle"
                    )
                }
                guard let file = bag.files[line.path] else { throw fail("\(manifest): \(line.path) is missing") }
                guard Hex.encode(file.sha256) == line.hex else {
                    throw fail("\(manifest): \(line.path): hash mismatch")
                }
            }
            let listed = Set(lines.map { Array($0.path.utf8) })
            let expected = bag.files.keys.filter {
                isPayload ? $0.hasPrefix("data/") : !$0.hasPrefix("data/") && $0 != BagIt.tagManifest
            }
            for path in expected.sorted() where !listed.contains(Array(path.utf8)) {
                throw fail("\(path) is not listed in \(manifest)")
            }
            if let stray = bag.firstStray, isPayload == stray.starts(with: Array("data/".utf8)) {
                throw fail("\(BagPath.display(stray)) is not listed in \(manifest)")
            }
            for line in lines where isPayload != line.path.hasPrefix("data/") {
                throw fail("\(manifest) lists \(line.path), which belongs in the other manifest")
            }
        }
        for path in BundleLayout.requiredPayload where bag.files[path] == nil { throw fail("\(path) is missing") }
    }

    // MARK: Records

    static func parseEntries(_ bytes: [UInt8]) throws(VerificationFailure) -> [Entry] {
        var entries: [Entry] = []
        var lineNumber = 0
        guard bytes.last == 0x0a else {
            throw VerificationFailure(seq: nil, rule: .entries, message: "entries.jsonl does not end with a newline")
        }
        for line in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast() {
            lineNumber += 1
            do { entries.append(try Entry.parse(record: Array(line))) } catch {
                throw VerificationFailure(
                    seq: nil, rule: .recordForm, message: "entries.jsonl line \(lineNumber): \(error)")
            }
        }
        return entries
    }

    /// Rules that need only the disclosed entries (FORMAT.md §11.2); returns the number of disclosed keys.
    static func checkRecords(_ entries: [Entry], size: Int64) throws(VerificationFailure) -> Int {
        let checks = signatureChecks(entries)
        var keys = ReplayedKeys()
        var ids = Set<UUIDKey>()
        var previous: Entry?
        for (position, entry) in entries.enumerated() {
            let body = entry.body
            let seq = body.seq
            func fail(_ rule: VerificationRule, _ message: String) -> VerificationFailure {
                VerificationFailure(seq: seq, rule: rule, message: message)
            }
            if let previous {
                guard seq > previous.body.seq else {
                    throw fail(.sequence, "entries are not in strictly ascending seq (after seq \(previous.body.seq))")
                }
                guard body.ledger.hasSameBytes(as: previous.body.ledger) else {
                    throw fail(.origin, "origin \"\(body.ledger)\" differs from entry 1's")
                }
                if seq == previous.body.seq + 1, body.prev != previous.bodyHashHex {
                    throw fail(.prevChain, "prev does not match the body hash of seq \(seq - 1)")
                }
                guard body.time >= previous.body.time else {
                    throw fail(.time, "time \(body.time) is earlier than the previous disclosed entry's")
                }
            }
            guard seq <= size else { throw fail(.sequence, "seq \(seq) is beyond the checkpoint's size \(size)") }
            guard ids.insert(Identifiers.packedUUID(body.id)).inserted else {
                throw fail(.uniqueIDs, "id \(body.id) is used twice")
            }
            let effect: RuleEffect
            do {
                effect = try EntryRules.check(entry, table: .custody, keys: keys, genesisActor: keys.genesisActor)
            } catch {
                throw fail((error as? CoreError)?.code == .signer ? .signatures : .typeTable, "\(error)")
            }
            var after = keys
            after.apply(effect, entry: entry)
            // Seq 1 is signed by the key seq 2 registers.
            if seq == 2, let genesis = previous { try checkSignatures(genesis, keys: after, checked: checks[0]) }
            if seq != 1 { try checkSignatures(entry, keys: after, checked: checks[position]) }
            keys = after
            previous = entry
        }
        return keys.keys.count
    }

    /// Every signature checked ahead of the sequential rules, on all cores.
    ///
    /// The keys are those the disclosed `key.registered` entries carry: a key id is the SHA-256 of its key, so the
    /// binding holds wherever the entry sits; whether the key may sign at that seq is for the sequential rules.
    /// Nil: the key is not disclosed.
    static func signatureChecks(_ entries: [Entry]) -> [[Bool?]] {
        var known: [String: Ed25519PublicKey] = [:]
        for entry in entries where entry.body.type == EventTypes.keyRegistered {
            let data = entry.body.data
            if let keyID = data.member("key")?.stringValue, let text = data.member("public_key")?.stringValue,
                let raw = Base64.decodeCanonical(text), KeyID.of(raw: raw) == keyID,
                let key = try? Ed25519PublicKey(raw: raw)
            {
                known[keyID] = key
            }
        }
        let keys = known
        return Parallel.map(Partition(items: entries.count, chunkSize: 256)) { position in
            let entry = entries[position]
            return entry.sigs.map { sig in
                guard let key = keys[sig.key], let message = entry.signedMessage(for: sig, table: .custody)
                else { return nil }
                return key.verify(signature: sig.signature, message: message)
            }
        }
    }

    private static func checkSignatures(_ entry: Entry, keys: ReplayedKeys, checked: [Bool?])
        throws(VerificationFailure)
    {
        for (index, sig) in entry.sigs.enumerated() {
            guard let key = keys.key(sig.key)?.publicKey,
                let message = entry.signedMessage(for: sig, table: .custody)
            else {
                throw VerificationFailure(
                    seq: entry.body.seq, rule: .signatures,
                    message: "signer \(sig.key.prefix(12))… is not a key registered by a disclosed entry")
            }
            let valid =
                (index < checked.count ? checked[index] : nil) ?? key.verify(signature: sig.signature, message: message)
            guard valid else {
                throw VerificationFailure(
                    seq: entry.body.seq, rule: .signatures,
                    message: "the signature by key \(sig.key.prefix(12))… does not verify")
            }
        }
    }

    /// Line i of proofs.jsonl is the inclusion proof of line i of entries.jsonl against the checkpoint.
    static func checkProofs(_ bytes: [UInt8], entries: [Entry], checkpoint: Checkpoint) throws(VerificationFailure) {
        let lines = bytes.split(separator: 0x0a, omittingEmptySubsequences: false)
        guard bytes.last == 0x0a, lines.count - 1 == entries.count else {
            throw VerificationFailure(
                seq: nil, rule: .proofs,
                message: "proofs.jsonl has \(max(0, lines.count - 1)) lines for \(entries.count) entries")
        }
        // Each proof is independent: check them on all cores, then report the first failure in line order.
        let problems = Parallel.map(Partition(items: entries.count, chunkSize: 256)) { index in
            proofProblem(Array(lines[index]), line: index + 1, entry: entries[index], checkpoint)
        }
        if let first = problems.lazy.compactMap({ $0 }).first { throw first }
    }

    /// What is wrong with one line of proofs.jsonl, or nil.
    static func proofProblem(_ bytes: [UInt8], line: Int, entry: Entry, _ checkpoint: Checkpoint)
        -> VerificationFailure?
    {
        let seq = entry.body.seq
        guard let proof = try? JSONParser.parse(bytes, profile: .ledgerV1), JCS.serialize(proof) == bytes,
            let members = proof.objectMembers, members.count == 4,
            let hashes = proof.member("hashes")?.arrayValue?.compactMap({ $0.stringValue.flatMap(Hex.decode) }),
            hashes.count == proof.member("hashes")?.arrayValue?.count
        else {
            return VerificationFailure(
                seq: seq, rule: .proofs, message: "proofs.jsonl line \(line) is not a canonical proof object")
        }
        guard proof.member("seq")?.integerValue == seq, proof.member("index")?.integerValue == seq - 1,
            proof.member("tree_size")?.integerValue == checkpoint.size
        else {
            return VerificationFailure(
                seq: seq, rule: .proofs,
                message: "proofs.jsonl line \(line) is not the proof of seq \(seq) at size \(checkpoint.size)")
        }
        guard
            MerkleProof.verifyInclusion(
                index: seq - 1, size: checkpoint.size, leafHash: Merkle.leafHash(entry.record), proof: hashes,
                root: checkpoint.root)
        else {
            return VerificationFailure(
                seq: seq, rule: .proofs, message: "the inclusion proof does not lead to the checkpoint's root")
        }
        return nil
    }

    // MARK: The disclosure

    /// Each listed stream is disclosed from rev 1 to its stated head; nothing else is, but entry 1; the streams
    /// fit the selection.
    static func checkStreams(_ entries: [Entry], statement: DisclosureStatement) throws(VerificationFailure) {
        func fail(_ message: String, seq: Int64? = nil) -> VerificationFailure {
            VerificationFailure(seq: seq, rule: .disclosure, message: message)
        }
        // Entry 1 and the log-key rotations (FORMAT.md §11.2) come with every bag, outside the listed streams.
        func isLedgerEntry(_ entry: Entry) -> Bool {
            entry.body.seq == 1 || (entry.body.type == EventTypes.logKeyRotated && entry.body.stream == "ledger")
        }
        var byStream: [[UInt8]: [Entry]] = [:]
        for entry in entries where !isLedgerEntry(entry) {
            byStream[Array(entry.body.stream.utf8), default: []].append(entry)
        }
        let listed = Set(statement.streams.map { Array($0.stream.utf8) })
        for entry in entries where !isLedgerEntry(entry) && !listed.contains(Array(entry.body.stream.utf8)) {
            throw fail(
                "entry \(entry.body.seq) belongs to stream \(entry.body.stream), which the disclosure does not list",
                seq: entry.body.seq)
        }
        for stream in statement.streams {
            let chain = byStream[Array(stream.stream.utf8)] ?? []
            // The stream links by body hash (v1) or statement hash (v2); the disclosure names the head's body hash.
            var previousHash = EntryBody.zeroHash
            var headBodyHash = EntryBody.zeroHash
            for (offset, entry) in chain.enumerated() {
                guard entry.body.streamRev == Int64(offset + 1), entry.body.streamPrev == previousHash else {
                    throw fail(
                        "stream \(stream.stream): rev \(offset + 1) is missing or does not link to rev \(offset)",
                        seq: entry.body.seq)
                }
                previousHash = entry.streamLinkHex
                headBodyHash = entry.bodyHashHex
            }
            guard chain.count == stream.rev, headBodyHash.hasSameBytes(as: stream.bodyHash) else {
                throw fail(
                    "stream \(stream.stream) ends at rev \(chain.count) in the bag, the disclosure says rev \(stream.rev)"
                )
            }
            let first = chain[0].body
            switch statement.selection {
            case .caseID(let caseID):
                let ownCase = first.data.member("case")?.stringValue?.hasSameBytes(as: caseID) == true
                let fits =
                    stream.stream.hasSameBytes(as: "case/" + caseID)
                    || (first.type == CustodyEvents.itemSeized && ownCase)
                    || (first.type == CustodyEvents.targetIdentified && ownCase)
                    || first.type == EventTypes.keyRegistered
                guard fits else { throw fail("stream \(stream.stream) is not part of case \(caseID)") }
            case .items(let ids):
                let fits =
                    ids.contains { stream.stream.hasSameBytes(as: "item/" + $0) }
                    || first.type == EventTypes.keyRegistered
                guard fits else { throw fail("stream \(stream.stream) is not one of the selected items") }
            }
        }
        try checkKeyClosure(entries, byStream: byStream, statement: statement)
        let required: [String]
        switch statement.selection {
        case .caseID(let caseID): required = ["case/" + caseID]
        case .items(let ids): required = ids.map { "item/" + $0 }
        }
        for stream in required where !listed.contains(Array(stream.utf8)) {
            throw fail("the disclosure does not list \(stream), which its selection names")
        }
    }

    /// The listed key streams are exactly the smallest set of FORMAT.md §11.2 item 3: keys that signed entry 1 or
    /// a selection stream's entry, keys registered to a recipient named there, and, repeatedly, the signers of
    /// those keys' own entries (a key's signature on its own registration brings in no one new).
    static func checkKeyClosure(
        _ entries: [Entry], byStream: [[UInt8]: [Entry]], statement: DisclosureStatement
    ) throws(VerificationFailure) {
        var recipients = Set<[UInt8]>()
        var wanted: [String] = []
        var justified = Set<[UInt8]>()
        func want(_ key: String) {
            if justified.insert(Array(key.utf8)).inserted { wanted.append(key) }
        }
        for entry in entries {
            let isSelection = entry.body.seq == 1 || !entry.body.stream.hasPrefix("key/")
            guard isSelection else { continue }
            for sig in entry.sigs { want(sig.key) }
            if DisclosureStatement.recipientTypes.contains(entry.body.type),
                let person = entry.body.data.member("to")?.stringValue
            {
                recipients.insert(Array(person.utf8))
            }
        }
        for entry in entries where entry.body.type == EventTypes.keyRegistered {
            if let person = entry.body.data.member("person")?.stringValue, recipients.contains(Array(person.utf8)),
                let key = entry.body.data.member("key")?.stringValue
            {
                want(key)
            }
        }
        while let key = wanted.popLast() {
            for entry in byStream[Array("key/\(key)".utf8)] ?? [] {
                for sig in entry.sigs { want(sig.key) }
            }
        }
        for stream in statement.streams where stream.stream.hasPrefix("key/") {
            guard justified.contains(Array(stream.stream.dropFirst(4).utf8)) else {
                throw VerificationFailure(
                    seq: nil, rule: .disclosure,
                    message:
                        "stream \(stream.stream) is listed, but no disclosed entry was signed by that key or names its person as recipient"
                )
            }
        }
    }
}
