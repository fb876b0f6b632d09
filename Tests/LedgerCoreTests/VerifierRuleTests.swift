import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Each test breaks exactly one rule of FORMAT.md §7 in an otherwise valid, correctly signed ledger and checks
/// that verification fails at the right seq with a message naming the rule.
struct VerifierRuleTests {
    private func expectFailure(
        _ records: [[UInt8]], seq: Int64?, containing text: String, checkpoints: [SignedCheckpoint] = [],
        pinned: NoteVerifierKey? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let result = verifyRecords(records, checkpoints: checkpoints, pinned: pinned)
        guard case .failure(let failure) = result else {
            Issue.record(
                "expected a failure containing \"\(text)\", but the ledger verified", sourceLocation: sourceLocation)
            return
        }
        #expect(failure.seq == seq, "\(failure)", sourceLocation: sourceLocation)
        #expect(failure.description.contains(text), "\(failure)", sourceLocation: sourceLocation)
    }

    private func validLedger() -> (LedgerBuilder, Ed25519PrivateKey) {
        var builder = LedgerBuilder()
        let bob = builder.register()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(bob))",
            data: ["reason": "rotated\nto a new key"],
            signer: bob)
        return (builder, bob)
    }

    @Test func validLedgerVerifies() throws {
        let (builder, _) = validLedger()
        let summary = try verifyRecords(builder.records, checkpoints: [builder.checkpoint()], pinned: builder.logVKey)
            .get()
        #expect(summary.entries == 4)
        #expect(summary.keys == 2)
        #expect(summary.revokedKeys == 1)
        #expect(summary.checkpointSizes == [4])
        #expect(summary.uncoveredEntries == 0)
        #expect(summary.findings.isEmpty)
    }

    @Test func nonCanonicalRecord() {
        let (builder, _) = validLedger()
        var records = builder.records
        records[2] = Array("{\"body\": ".utf8) + records[2].dropFirst(8)
        expectFailure(records, seq: 3, containing: "canonical")
    }

    @Test func duplicateMember() {
        let (builder, _) = validLedger()
        var records = builder.records
        records[3] = Array("{\"body\":{\"v\":1,".utf8) + records[3].dropFirst(9)
        expectFailure(records, seq: 4, containing: "duplicate member")
    }

    @Test func oversizedRecord() {
        var builder = LedgerBuilder()
        builder.register(name: "Bob", person: "bob", roles: ["custodian"])
        var records = builder.records
        records.append([UInt8](repeating: 0x20, count: 70_000))
        expectFailure(records, seq: 4, containing: "over the limit")
    }

    @Test func missingEntryBreaksSequence() {
        var (builder, _) = validLedger()
        builder.register(name: "Carol", person: "carol")
        var records = builder.records
        records.remove(at: 3)
        expectFailure(records, seq: 4, containing: "the record says seq 5, expected 4")
    }

    @Test func reorderedEntries() {
        var (builder, _) = validLedger()
        builder.register(name: "Carol", person: "carol")
        var records = builder.records
        records.swapAt(3, 4)
        expectFailure(records, seq: 4, containing: "expected 4")
    }

    @Test func foreignOrigin() {
        var builder = LedgerBuilder()
        builder.register(name: "Bob", person: "bob")
        let carol = Ed25519PrivateKey.generate()
        let request = KeyRequest(
            agency: "A", ledger: "other.example/x", name: "Carol", person: "carol", publicKey: carol.publicKey)
        builder.append(
            type: EventTypes.keyRegistered, stream: "key/\(LedgerBuilder.keyID(carol))",
            data: [
                "agency": "A", "key": .string(LedgerBuilder.keyID(carol)), "name": "Carol", "person": "carol",
                "public_key": .string(request.publicKey), "roles": ["custodian"],
            ], signer: builder.admin,
            presigned: [EntrySignature(key: LedgerBuilder.keyID(carol), signature: carol.sign(request.message))],
            mutate: { $0.ledger = "other.example/x" })
        expectFailure(builder.records, seq: 4, containing: "differs from")
    }

    @Test func brokenPrevChain() {
        var (builder, _) = validLedger()
        builder.register(name: "Dan", person: "dan")
        // Re-sign seq 5 with a prev naming seq 3's body hash instead of seq 4's.
        let tampered = replacing(builder, at: 4) { body in body.prev = builder.entries[2].bodyHashHex }
        #expect(builder.entries[4].body.prev != tampered.entries[4].body.prev)
        expectFailure(tampered.records, seq: 5, containing: "prev does not match the body hash of seq 4")
    }

    @Test func brokenStreamRevision() {
        var builder = LedgerBuilder()
        let bob = builder.register()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(bob))", data: ["reason": "left"],
            signer: bob,
            mutate: { $0.streamRev = 3 })
        expectFailure(builder.records, seq: 4, containing: "stream_rev 3")
    }

    @Test func brokenStreamPrev() {
        var builder = LedgerBuilder()
        let bob = builder.register()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(bob))", data: ["reason": "left"],
            signer: bob,
            mutate: { $0.streamPrev = String(repeating: "a", count: 64) })
        expectFailure(builder.records, seq: 4, containing: "stream_prev does not match")
    }

    @Test func reusedID() {
        var builder = LedgerBuilder()
        let firstID = builder.entries[1].body.id
        builder.register()
        let records = replacing(builder, at: 2) { $0.id = firstID }.records
        expectFailure(records, seq: 3, containing: "already used")
    }

    @Test func timeGoesBackwards() {
        var builder = LedgerBuilder()
        builder.register()
        let records = replacing(builder, at: 2) { $0.time = "2000-01-01T00:00:00.000Z" }.records
        expectFailure(records, seq: 3, containing: "earlier than the previous entry's time")
    }

    @Test(arguments: [
        "2026-02-30T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:00:60.000Z", "2026-01-01 00:00:00.000Z",
        "2026-01-01T00:00:00Z",
    ])
    func malformedTime(_ time: String) {
        var builder = LedgerBuilder()
        builder.register()
        let records = replacing(builder, at: 2) { $0.time = time }.records
        expectFailure(records, seq: 3, containing: "is not YYYY-MM-DDTHH:MM:SS.sssZ")
    }

    @Test func unknownType() {
        var builder = LedgerBuilder()
        builder.append(type: "item.teleported", stream: "item/EV-1", data: ["to": "mars"], signer: builder.admin)
        expectFailure(builder.records, seq: 3, containing: "unknown event type \"item.teleported\"")
    }

    @Test func typeInWrongStream() {
        var builder = LedgerBuilder()
        builder.append(type: EventTypes.keyRevoked, stream: "ledger", data: ["reason": "x"], signer: builder.admin)
        expectFailure(builder.records, seq: 3, containing: "not allowed in stream ledger")
    }

    @Test func dataOutsideSchema() {
        var builder = LedgerBuilder()
        let bob = builder.register()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(bob))",
            data: ["reason": "x", "mood": "sad"],
            signer: bob)
        expectFailure(builder.records, seq: 4, containing: "unexpected member \"mood\"")
    }

    @Test func signerWithoutRole() {
        var builder = LedgerBuilder()
        let bob = builder.register(roles: ["custodian"])
        builder.register(name: "Carol", person: "carol", by: bob)
        expectFailure(builder.records, seq: 4, containing: "none of which may sign key.registered")
    }

    @Test func unregisteredSigner() {
        var builder = LedgerBuilder()
        let stranger = Ed25519PrivateKey.generate()
        let bob = builder.register()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(bob))", data: ["reason": "x"],
            signer: stranger)
        expectFailure(builder.records, seq: 4, containing: "is not a registered key")
    }

    @Test func revokedSigner() {
        var builder = LedgerBuilder()
        let second = builder.register(name: "Eve Admin", person: "eve", roles: ["admin"])
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(second))", data: ["reason": "left"],
            signer: builder.admin)
        builder.register(name: "Carol", person: "carol", by: second)
        expectFailure(builder.records, seq: 5, containing: "was revoked at seq 4")
    }

    @Test func forgedSignature() {
        let (builder, _) = validLedger()
        let records = replacingSignatures(builder, at: 3) { sigs in
            sigs.map { sig in
                var bytes = sig.signature
                bytes[10] ^= 0x01
                return EntrySignature(key: sig.key, signature: bytes)
            }
        }
        expectFailure(records, seq: 4, containing: "over the entry does not verify")
    }

    @Test func forgedGenesisSignature() {
        let (builder, _) = validLedger()
        let records = replacingSignatures(builder, at: 0) { sigs in
            sigs.map { EntrySignature(key: $0.key, signature: builder.logKey.sign([1, 2, 3])) }
        }
        expectFailure(records, seq: 1, containing: "does not verify")
    }

    @Test func proofOfPossessionByAnotherKey() {
        var builder = LedgerBuilder()
        let bob = Ed25519PrivateKey.generate()
        let mallory = Ed25519PrivateKey.generate()
        let request = KeyRequest(
            agency: "A", ledger: builder.origin, name: "Bob", person: "bob", publicKey: bob.publicKey)
        builder.append(
            type: EventTypes.keyRegistered, stream: "key/\(LedgerBuilder.keyID(bob))",
            data: [
                "agency": "A", "key": .string(LedgerBuilder.keyID(bob)), "name": "Bob", "person": "bob",
                "public_key": .string(request.publicKey), "roles": ["custodian"],
            ], signer: builder.admin,
            presigned: [EntrySignature(key: LedgerBuilder.keyID(bob), signature: mallory.sign(request.message))])
        expectFailure(builder.records, seq: 3, containing: "over its key request does not verify")
    }

    @Test func missingCoSigner() {
        var builder = LedgerBuilder()
        builder.register()
        let records = replacingSignatures(builder, at: 2) { sigs in
            sigs.filter { $0.key == builder.entries[2].body.actor }
        }
        expectFailure(records, seq: 3, containing: "not exactly the required signers")
    }

    @Test func nonCanonicalSignatureEncoding() {
        let (builder, _) = validLedger()
        var text = String(decoding: builder.records[3], as: UTF8.self)
        // Standard base64 of 64 bytes ends in "=="; the character before carries 4 unused bits.
        let range = text.range(of: "==\"}]}")!
        let before = text.index(before: range.lowerBound)
        // The last data character encodes 2 bits then 4 zero bits (A, Q, g or w); the next letter sets a zero bit.
        let next: [Character: Character] = ["A": "B", "Q": "R", "g": "h", "w": "x"]
        let replacement = next[text[before]] ?? "?"
        text.replaceSubrange(before...before, with: String(replacement))
        var records = builder.records
        records[3] = Array(text.utf8)
        expectFailure(records, seq: 4, containing: "canonical base64")
    }

    @Test func unsortedSignatures() {
        var builder = LedgerBuilder()
        builder.register()
        var text = String(decoding: builder.records[2], as: UTF8.self)
        let sigsStart = text.range(of: ",\"sigs\":[")!.upperBound
        let inner = text[sigsStart..<text.index(text.endIndex, offsetBy: -2)]
        let parts = inner.components(separatedBy: "},{")
        #expect(parts.count == 2)
        let swapped = "{" + parts[1] + "},{" + parts[0].dropFirst() + "}"
        text = String(text[..<sigsStart]) + swapped.replacingOccurrences(of: "}}", with: "}") + "]}"
        var records = builder.records
        records[2] = Array(text.utf8)
        expectFailure(records, seq: 3, containing: "sorted")
    }

    @Test func lastAdminCannotBeRevoked() {
        var builder = LedgerBuilder()
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(builder.admin))", data: ["reason": "x"],
            signer: builder.admin)
        expectFailure(builder.records, seq: 3, containing: "the last admin key cannot be revoked")
    }

    @Test func keyRegisteredTwice() {
        var builder = LedgerBuilder()
        let bob = builder.register()
        builder.register(name: "Bob again", person: "bob", key: bob)
        expectFailure(builder.records, seq: 4, containing: "must be the first entry of its stream")
    }

    @Test func keyRegistersItself() {
        var builder = LedgerBuilder()
        let carol = Ed25519PrivateKey.generate()
        builder.register(name: "Carol", person: "carol", roles: ["admin"], by: carol, key: carol)
        expectFailure(builder.records, seq: 3, containing: "is not a registered key")
    }

    @Test func genesisMustBeLedgerCreated() {
        let (builder, _) = validLedger()
        expectFailure(Array(builder.records.dropFirst()), seq: 1, containing: "the record says seq 2")
        var bad = LedgerBuilder()
        bad = replacing(bad, at: 0) { $0.type = EventTypes.keyRevoked }
        expectFailure(bad.records, seq: 1, containing: "genesis entry (seq 1) must be ledger.created")
    }

    @Test func ledgerCreatedOnlyOnce() {
        var builder = LedgerBuilder()
        builder.append(
            type: EventTypes.ledgerCreated, stream: "ledger", data: ["log_vkey": .string(builder.logVKey.vkey)],
            signer: builder.admin)
        expectFailure(builder.records, seq: 3, containing: "ledger.created may only appear at seq 1")
    }

    @Test func incompleteGenesis() {
        let builder = LedgerBuilder()
        expectFailure(Array(builder.records.prefix(1)), seq: 2, containing: "ends before seq 2")
    }

    @Test func checkpointWithRewrittenHistory() {
        let (builder, _) = validLedger()
        var other = LedgerBuilder(origin: builder.origin)
        other.register()
        other.register(name: "Zed", person: "zed")
        // Same origin and size, different history, but signed by this ledger's log key.
        let foreign = other.checkpoint()
        let forged = try? SignedCheckpoint.sign(foreign.checkpoint, logKey: builder.logKey)
        expectFailure(builder.records, seq: 4, containing: "history was rewritten", checkpoints: [forged!])
        // Both roots, as people compare them: the checkpoint's base64, and the ledger's in base64 and hex.
        let ledgerRoot = builder.checkpoint().checkpoint.root
        expectFailure(
            builder.records, seq: 4,
            containing: "its root \(Base64.encode(foreign.checkpoint.root)) does not match the ledger's tree of size 4,"
                + " whose root is \(Base64.encode(ledgerRoot)) (hex \(Hex.encode(ledgerRoot)))",
            checkpoints: [forged!])
    }

    @Test func checkpointSignedByAnotherKey() {
        let (builder, _) = validLedger()
        expectFailure(
            builder.records, seq: nil, containing: "not signed by the ledger's log key",
            checkpoints: [builder.checkpoint(signedBy: .generate())])
    }

    @Test func truncationDetectedByCheckpoint() {
        let (builder, _) = validLedger()
        let checkpoint = builder.checkpoint()
        expectFailure(
            Array(builder.records.prefix(3)), seq: nil, containing: "truncated or rolled back",
            checkpoints: [checkpoint])
    }

    @Test func pinnedLogKeyMismatch() throws {
        let (builder, _) = validLedger()
        let other = try NoteVerifierKey(name: builder.origin, publicKey: Ed25519PrivateKey.generate().publicKey)
        expectFailure(builder.records, seq: 1, containing: "is not the pinned log key", pinned: other)
    }

    @Test func compromisedKeyFindings() throws {
        var builder = LedgerBuilder()
        let second = builder.register(name: "Eve Admin", person: "eve", roles: ["admin"])
        builder.register(name: "Carol", person: "carol", by: second)  // seq 4
        builder.register(name: "Dan", person: "dan", by: second)  // seq 5
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(second))",
            data: ["reason": "laptop stolen", "compromised_since_seq": 4], signer: builder.admin)
        let summary = try verifyRecords(builder.records).get()
        #expect(summary.findings.map(\.seq) == [5])
        #expect(summary.findings.first?.message.contains("compromised since seq 4") == true)
    }

    /// A key's signatures are kept as runs of consecutive seqs: every seq after the compromise is found, across
    /// runs broken by other signers, and none before it.
    @Test func compromisedKeyFindingsAcrossRunsOfSignatures() throws {
        var builder = LedgerBuilder()
        let second = builder.register(name: "Eve Admin", person: "eve", roles: ["admin"])  // seq 3
        for person in ["carol", "dan", "erin"] { builder.register(name: person, person: person, by: second) }  // 4–6
        builder.register(name: "Finn", person: "finn")  // seq 7, by the first admin
        for person in ["gus", "hal"] { builder.register(name: person, person: person, by: second) }  // 8–9
        builder.append(
            type: EventTypes.keyRevoked, stream: "key/\(LedgerBuilder.keyID(second))",
            data: ["reason": "laptop stolen", "compromised_since_seq": 5], signer: builder.admin)
        let summary = try verifyRecords(builder.records).get()
        #expect(summary.findings.map(\.seq) == [6, 8, 9])
    }

    @Test func uncoveredEntriesAreCounted() throws {
        var (builder, _) = validLedger()
        let checkpoint = builder.checkpoint()
        builder.register(name: "Zed", person: "zed")
        let summary = try verifyRecords(builder.records, checkpoints: [checkpoint]).get()
        #expect(summary.uncoveredEntries == 1)
    }

    // MARK: Helpers

    /// Rebuilds the ledger with the body of entry `index` changed and every entry re-signed and re-chained after
    /// the change only where the change itself requires (later entries keep their own prev, so only this entry
    /// breaks a rule).
    private func replacing(_ builder: LedgerBuilder, at index: Int, _ mutate: (inout EntryBody) -> Void)
        -> LedgerBuilder
    {
        var copy = builder
        var body = builder.entries[index].body
        mutate(&body)
        let signer = signerKey(builder, body.actor)
        let unsigned = Entry(body: body, sigs: [])
        var sigs = [
            EntrySignature(key: body.actor, signature: signer.sign(SigningMessage.entry(bodyHash: unsigned.bodyHash)))
        ]
        sigs += builder.entries[index].sigs.filter { $0.key != body.actor }
        var entries = builder.entries
        entries[index] = Entry(body: body, sigs: sigs)
        copy = LedgerBuilder.from(copy, entries: entries)
        return copy
    }

    private func replacingSignatures(
        _ builder: LedgerBuilder, at index: Int, _ change: ([EntrySignature]) -> [EntrySignature]
    ) -> [[UInt8]] {
        var records = builder.records
        let entry = builder.entries[index]
        records[index] = Entry(body: entry.body, sigs: change(entry.sigs)).record
        return records
    }

    private func signerKey(_ builder: LedgerBuilder, _ keyID: String) -> Ed25519PrivateKey {
        precondition(keyID == LedgerBuilder.keyID(builder.admin), "tests re-sign only the admin's entries")
        return builder.admin
    }
}
