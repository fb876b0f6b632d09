import CustodyDomain
import LedgerCore
import LedgerCrypto
import LedgerTestSupport
import Testing

/// Format version 2 (FORMAT.md §12): each rule broken alone in an otherwise valid ledger, named in the failure; and
/// what someone who can write the database but holds no key can do to order and time, caught by the log key's
/// checkpoint.
struct FormatV2Tests {
    private func expectFailure(
        _ records: [[UInt8]], seq: Int64?, rule: VerificationRule, containing text: String,
        checkpoints: [SignedCheckpoint], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard case .failure(let failure) = verifyRecords(records, checkpoints: checkpoints) else {
            Issue.record("expected a failure containing \"\(text)\"", sourceLocation: sourceLocation)
            return
        }
        #expect(failure.seq == seq, "\(failure)", sourceLocation: sourceLocation)
        #expect(failure.rule == rule, "\(failure)", sourceLocation: sourceLocation)
        #expect(failure.description.contains(text), "\(failure)", sourceLocation: sourceLocation)
    }

    /// Genesis, Bob's key, and notes on two streams: `ledger` and `key/<bob>` (Bob revokes nothing: he notes).
    private func validLedger() -> (LedgerBuilder, Ed25519PrivateKey) {
        var builder = LedgerBuilder(version: 2)
        let bob = builder.register(roles: ["custodian", "supervisor"])
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "first"], signer: bob)
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "second"], signer: builder.admin)
        return (builder, bob)
    }

    /// The entries rebuilt from `entries` (statements and signatures kept) with fresh seq, prev and tree: what a
    /// database writer without keys can compute.
    private func rechained(_ entries: [Entry], time: (Int, String) -> String = { $1 }) -> [[UInt8]] {
        var prev = EntryBody.zeroHash
        var records: [[UInt8]] = []
        for (index, entry) in entries.enumerated() {
            var body = entry.body
            body.seq = Int64(index + 1)
            body.prev = prev
            body.time = time(index, body.time)
            let rebuilt = Entry(body: body, sigs: entry.sigs)
            prev = rebuilt.bodyHashHex
            records.append(rebuilt.record)
        }
        return records
    }

    @Test func aVersion2LedgerVerifiesOnlyUnderTheLogKeysCheckpoint() throws {
        let (builder, _) = validLedger()
        let summary = try verifyRecords(builder.records, checkpoints: [builder.checkpoint()]).get()
        #expect(summary.entries == 5)
        // The records' statements are what people signed; stream_prev names the previous statement's hash.
        #expect(builder.entries[4].body.streamPrev == builder.entries[3].streamLinkHex)
        #expect(
            builder.entries[4].streamLinkHex == Hex.encode(SHA256.hash(builder.entries[4].body.statementCanonicalBytes))
        )
        expectFailure(
            builder.records, seq: 1, rule: .checkpoints, containing: "not covered by a checkpoint", checkpoints: [])
        expectFailure(
            builder.records, seq: 4, rule: .checkpoints, containing: "entries 4…5 are not attested",
            checkpoints: [builder.checkpoint(size: 3)])
    }

    @Test func recordsRoundTripAndTheStoresFastPathFindsTheStatementHash() throws {
        var (builder, _) = validLedger()
        let root = Hex.encode(builder.checkpoint().checkpoint.root)
        builder.append(
            type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "anchored"], signer: builder.admin,
            mutate: { $0.anchor = StatementAnchor(size: 5, root: root) })
        for entry in builder.entries {
            let parsed = try Entry.parse(record: entry.record)
            #expect(parsed.record == entry.record)
            #expect(entry.body.statementCanonicalBytes == JCS.serialize(entry.body.statementJSON))
            #expect(entry.body.canonicalBytes == JCS.serialize(entry.body.json))
            #expect(parsed.statementHash == entry.statementHash)
            let facts = try #require(Entry.canonicalBodyFacts(entry.record))
            #expect(facts.bodyHash == entry.bodyHash)
            #expect(facts.link == entry.statementHash)
            #expect(facts.time == entry.body.time)
            #expect(facts.streamRev == entry.body.streamRev)
            var decoder = EntryBodyDecoder()
            #expect(try decoder.body(of: entry.record).json == entry.body.json)
            // Read by layout, not by the full parser (rebuild's speed depends on it).
            let range = try #require(Entry.canonicalBodyRange(entry.record))
            #expect(decoder.canonicalStatementBody(entry.record, range)?.json == entry.body.json)
        }
    }

    @Test func aChangedStatementBreaksTheActorsSignature() {
        let (builder, _) = validLedger()
        var entries = builder.entries
        var body = entries[3].body
        body.data = ["text": "first, edited"]
        entries[3] = Entry(body: body, sigs: entries[3].sigs)
        expectFailure(
            rechained(entries), seq: 4, rule: .signatures, containing: "over the statement does not verify",
            checkpoints: [])
    }

    @Test func reorderingRetimingOrDroppingWithoutTheLogKeyIsCaught() throws {
        // Carol's note and Erin's registration are on independent streams: swapped, every rule and signature still
        // holds, so only the log key's checkpoint can show that the order changed.
        var builder = LedgerBuilder(version: 2)
        let carol = builder.register(name: "Carol", person: "carol", roles: ["supervisor"])
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "a"], signer: carol)
        builder.register(name: "Erin", person: "erin", roles: ["custodian"])
        let stored = builder.checkpoint()
        var reordered = builder.entries
        reordered.swapAt(3, 4)
        // The writer keeps the recorded times in order by position, as a real reordering would.
        let swapped = rechained(reordered) { index, _ in builder.entries[index].body.time }
        #expect(verifyRecords(swapped, checkpoints: []).failureText?.contains("not covered") == true)
        expectFailure(swapped, seq: 5, rule: .checkpoints, containing: "history was rewritten", checkpoints: [stored])
        // Re-timed: one entry's recorded time moved by a millisecond (still non-decreasing).
        let retimed = rechained(builder.entries) { index, time in
            index == 4 ? LedgerTime.format(millisecondsSince1970: (LedgerTime.milliseconds(time) ?? 0) + 1) : time
        }
        expectFailure(retimed, seq: 5, rule: .checkpoints, containing: "history was rewritten", checkpoints: [stored])
        // A stream's last entry dropped (Erin's registration, the ledger's last).
        expectFailure(
            Array(builder.records.dropLast()), seq: nil, rule: .checkpoints, containing: "truncated",
            checkpoints: [stored])
        // A checkpoint over the forged order signed by any key but the log key is no attestation.
        let forged = LedgerBuilder.from(builder, entries: try swapped.map { try Entry.parse(record: $0) })
        expectFailure(
            forged.records, seq: nil, rule: .checkpoints, containing: "is not signed by the ledger's log key",
            checkpoints: [forged.checkpoint(signedBy: .generate())])
    }

    @Test func aStatementOfAnotherLedgerWithTheSameOriginIsRefused() {
        let (builder, bob) = validLedger()
        var other = LedgerBuilder(version: 2)
        _ = other.register(key: bob)
        let foreign = other.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "x"], signer: bob)
        var entries = builder.entries
        var body = foreign.body
        body.streamRev = 3
        body.streamPrev = entries[4].streamLinkHex
        // Keep the foreign genesis: re-signing with Bob's key shows the genesis binding is what refuses it.
        let unsigned = Entry(body: body, sigs: [])
        entries.append(
            Entry(body: body, sigs: [EntrySignature(key: body.actor, signature: bob.sign(unsigned.actorMessage))]))
        let records = rechained(entries)
        expectFailure(
            records, seq: 6, rule: .genesisBinding, containing: "another ledger",
            checkpoints: [])
    }

    @Test func streamPrevMustBeTheStatementHashNotTheBodyHash() {
        var builder = LedgerBuilder(version: 2)
        let previous = builder.entries[0]
        builder.append(
            type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "x"], signer: builder.admin,
            mutate: { $0.streamPrev = previous.bodyHashHex })
        expectFailure(
            builder.records, seq: 3, rule: .streamChain, containing: "statement hash of stream ledger revision 1",
            checkpoints: [builder.checkpoint()])
    }

    @Test func timesOutsideTheSkewOrAfterExpiryAreRefused() {
        func ledger(_ change: @escaping (inout EntryBody) -> Void) -> LedgerBuilder {
            var builder = LedgerBuilder(version: 2)
            builder.append(
                type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "x"], signer: builder.admin,
                mutate: change)
            return builder
        }
        func shifted(_ time: String, _ ms: Int64) -> String {
            LedgerTime.format(millisecondsSince1970: LedgerTime.milliseconds(time)! + ms)
        }
        let future = ledger { $0.signedAt = shifted($0.time, 300_001) }
        expectFailure(
            future.records, seq: 3, rule: .time, containing: "signed in the future", checkpoints: [future.checkpoint()])
        let withinSkew = ledger { $0.signedAt = shifted($0.time, 300_000) }
        #expect(verifyRecords(withinSkew.records, checkpoints: [withinSkew.checkpoint()]).failureText == nil)
        let beforeState = ledger { body in
            body.signedAt = shifted(body.time, -400_000)
            body.expires = shifted(body.time, 1000)
        }
        expectFailure(
            beforeState.records, seq: 3, rule: .time, containing: "did not exist yet",
            checkpoints: [beforeState.checkpoint()])
        let expired = ledger { body in
            body.signedAt = shifted(body.time, -1000)
            body.expires = shifted(body.time, -1)
        }
        expectFailure(
            expired.records, seq: 3, rule: .time, containing: "expired", checkpoints: [expired.checkpoint()])
        let tooLong = ledger { $0.expires = shifted($0.signedAt, 2_592_000_001) }
        expectFailure(
            tooLong.records, seq: 3, rule: .time, containing: "30 days", checkpoints: [tooLong.checkpoint()])
    }

    /// A witness's failed co-signature is named as a co-signature, in version 1 too (where a co-signer signs the
    /// entry message without `signed_at`, like a registered key's request), never as a key request.
    @Test(arguments: [Int64(1), 2]) func aFailedWitnessCoSignatureIsNamedAsSuch(version: Int64) throws {
        var builder = LedgerBuilder(version: version)
        let carol = builder.register(name: "Carol", person: "carol", roles: ["custodian"])
        let bob = builder.register(name: "Bob", person: "bob", roles: ["custodian"])
        var data = CustodyFixture.seizure()
        if case .object(var members) = data {
            members.append(JSONMember("witness_key", .string(LedgerBuilder.keyID(bob))))
            data = .object(members)
        }
        builder.append(
            type: "item.seized", stream: "item/EV-1", data: data, signer: carol, coSigners: [bob],
            mutateSigs: { sigs in
                sigs.map {
                    $0.key == LedgerBuilder.keyID(bob)
                        ? EntrySignature(key: $0.key, signature: bob.sign([1, 2, 3]), signedAt: $0.signedAt) : $0
                }
            })
        guard case .failure(let failure) = verifyRecords(builder.records, checkpoints: [builder.checkpoint()]) else {
            Issue.record("a ledger with a forged co-signature verified")
            return
        }
        #expect(failure.seq == 5, "\(failure)")
        #expect(failure.description.contains("over its co-signature does not verify"), "\(failure)")
        #expect(!failure.description.contains("key request"), "\(failure)")
    }

    @Test func aCoSignatureCarriesItsOwnTimeAndMayBeAddedLater() throws {
        var builder = LedgerBuilder(version: 2)
        let carol = builder.register(name: "Carol", person: "carol", roles: ["custodian"])
        let bob = builder.register(name: "Bob", person: "bob", roles: ["custodian"])
        var data = CustodyFixture.seizure()
        if case .object(var members) = data {
            members.append(JSONMember("witness_key", .string(LedgerBuilder.keyID(bob))))
            data = .object(members)
        }
        // Bob co-signs 3 minutes after Carol signed (the statement unchanged): valid.
        let later = builder
        var good = later
        good.append(
            type: "item.seized", stream: "item/EV-1", data: data, signer: carol, coSigners: [bob],
            mutate: { body in
                body.signedAt = LedgerTime.format(millisecondsSince1970: LedgerTime.milliseconds(body.time)! - 180_000)
            })
        let entry = try #require(good.entries.last)
        #expect(entry.sigs.contains { $0.key == LedgerBuilder.keyID(bob) && $0.signedAt == entry.body.time })
        #expect(verifyRecords(good.records, checkpoints: [good.checkpoint()]).failureText == nil)
        // The co-signer's element without its signed_at: refused, naming the rule.
        var missing = later
        missing.append(
            type: "item.seized", stream: "item/EV-1", data: data, signer: carol, coSigners: [bob],
            mutateSigs: { sigs in
                sigs.map { EntrySignature(key: $0.key, signature: $0.signature) }
            })
        expectFailure(
            missing.records, seq: 5, rule: .signatures, containing: "lacks its signed_at",
            checkpoints: [missing.checkpoint()])
        // The time changed after the co-signer signed: the co-signature no longer verifies.
        var moved = later
        moved.append(
            type: "item.seized", stream: "item/EV-1", data: data, signer: carol, coSigners: [bob],
            mutateSigs: { sigs in
                sigs.map {
                    $0.signedAt == nil
                        ? $0
                        : EntrySignature(key: $0.key, signature: $0.signature, signedAt: "2026-01-01T00:00:00.000Z")
                }
            })
        expectFailure(
            moved.records, seq: 5, rule: .time, containing: "co-signature", checkpoints: [moved.checkpoint()])
    }

    @Test func versionsDoNotMixAndVersion2RecordsAreAtMost65535Bytes() {
        var mixed = LedgerBuilder(version: 1)
        var v2 = LedgerBuilder(version: 2)
        let note = v2.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "x"], signer: v2.admin)
        mixed.appendRaw(note)
        expectFailure(
            mixed.records, seq: 3, rule: .recordForm, containing: "a version-2 record in a ledger of format version 1",
            checkpoints: [])
        // A note grown until its record is exactly one byte over the version-2 limit.
        var probe = LedgerBuilder(version: 2)
        let base = probe.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "x"], signer: probe.admin)
        let text = "x" + String(repeating: "x", count: Entry.maxStatementRecordBytes + 1 - base.record.count)
        var over = LedgerBuilder.from(probe, entries: Array(probe.entries.dropLast()))
        over.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": .string(text)], signer: probe.admin)
        #expect(over.entries.last?.record.count == Entry.maxStatementRecordBytes + 1)
        expectFailure(over.records, seq: 3, rule: .recordForm, containing: "over the limit of 65535", checkpoints: [])
    }

    /// A rotation of the log key as `ledger log-key rotate` records it: signed by the old and the new log key.
    private func rotation(
        _ builder: inout LedgerBuilder, to newKey: Ed25519PrivateKey, oldKey: Ed25519PrivateKey,
        newSigner: Ed25519PrivateKey? = nil
    ) {
        let vkey = (try? NoteVerifierKey(name: builder.origin, publicKey: newKey.publicKey))?.vkey ?? ""
        let message = SigningMessage.logKeyRotation(genesis: builder.entries[0].bodyHashHex, newVKey: vkey)
        builder.append(
            type: EventTypes.logKeyRotated, stream: "ledger",
            data: [
                "log_vkey": .string(vkey), "new_key_sig": .string(Base64.encode((newSigner ?? newKey).sign(message))),
                "old_key_sig": .string(Base64.encode(oldKey.sign(message))),
            ], signer: builder.admin)
    }

    @Test func aRotatedLogKeySignsCheckpointsFromItsEntryOnAndAnyKeyOfTheChainMayBePinned() throws {
        var builder = LedgerBuilder(version: 2)
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "before"], signer: builder.admin)
        let before = builder.checkpoint()
        let newKey = Ed25519PrivateKey.generate()
        rotation(&builder, to: newKey, oldKey: builder.logKey)
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "after"], signer: builder.admin)
        let after = builder.checkpoint(signedBy: newKey)
        let newVKey = try NoteVerifierKey(name: builder.origin, publicKey: newKey.publicKey)
        let summary = try verifyRecords(builder.records, checkpoints: [before, after], pinned: builder.logVKey).get()
        #expect(summary.logKeyRotations == [4])
        #expect(summary.logKey == newVKey.vkey)
        #expect(verifyRecords(builder.records, checkpoints: [before, after], pinned: newVKey).failureText == nil)
        // After the rotation, the old key's checkpoint is no attestation.
        expectFailure(
            builder.records, seq: nil, rule: .checkpoints, containing: "is not signed by the ledger's log key",
            checkpoints: [builder.checkpoint()])
    }

    @Test func aRotationNotSignedByTheKeyInForceOrWithoutTheNewKeysProofIsRefused() {
        let newKey = Ed25519PrivateKey.generate()
        var forged = LedgerBuilder(version: 2)
        rotation(&forged, to: newKey, oldKey: .generate())
        expectFailure(
            forged.records, seq: 3, rule: .signatures, containing: "old_key_sig does not verify",
            checkpoints: [forged.checkpoint(signedBy: newKey)])
        var unproven = LedgerBuilder(version: 2)
        rotation(&unproven, to: newKey, oldKey: unproven.logKey, newSigner: .generate())
        expectFailure(
            unproven.records, seq: 3, rule: .signatures, containing: "new_key_sig does not verify",
            checkpoints: [unproven.checkpoint(signedBy: newKey)])
        var inV1 = LedgerBuilder(version: 1)
        rotation(&inV1, to: newKey, oldKey: inV1.logKey)
        expectFailure(inV1.records, seq: 3, rule: .typeTable, containing: "version-2 ledgers only", checkpoints: [])
    }

    @Test func anAnchorMustNameAnEarlierTreeAndItsRoot() throws {
        var builder = LedgerBuilder(version: 2)
        builder.append(type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "a"], signer: builder.admin)
        let seen = builder.checkpoint()
        let root = Hex.encode(seen.checkpoint.root)
        var good = builder
        good.append(
            type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "b"], signer: builder.admin,
            mutate: { $0.anchor = StatementAnchor(size: 3, root: root) })
        #expect(verifyRecords(good.records, checkpoints: [seen, good.checkpoint()]).failureText == nil)
        // Without the checkpoint of its size at hand the anchor is left to the caller, not passed silently.
        let summary = try verifyRecords(good.records, checkpoints: [good.checkpoint()]).get()
        #expect(summary.uncheckedAnchors.map(\.seq) == [4])
        var wrong = builder
        wrong.append(
            type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "b"], signer: builder.admin,
            mutate: { $0.anchor = StatementAnchor(size: 3, root: String(repeating: "0", count: 64)) })
        expectFailure(
            wrong.records, seq: 4, rule: .anchor, containing: "the ledger's tree of that size has root",
            checkpoints: [seen, wrong.checkpoint()])
        var ahead = builder
        ahead.append(
            type: EventTypes.ledgerNote, stream: "ledger", data: ["text": "b"], signer: builder.admin,
            mutate: { $0.anchor = StatementAnchor(size: 4, root: root) })
        expectFailure(
            ahead.records, seq: 4, rule: .anchor, containing: "not before this entry", checkpoints: [ahead.checkpoint()]
        )
    }
}
