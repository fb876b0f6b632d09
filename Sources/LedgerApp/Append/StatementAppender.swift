import CustodyDomain
import Foundation
import LedgerConcurrency
import LedgerCore
import LedgerCrypto

/// The one-step path of a version-2 ledger (the domain commands, `ledger append`, imports): each draft becomes a
/// statement of its stream's next revision, signed on all cores before any write transaction begins, then sequenced
/// as one commit group, all or nothing (FORMAT.md §12.8).
///
/// The write transaction holds no signing: it places the statements, runs the rules and the custody fold, inserts
/// and signs the group's one checkpoint. Signatures this process just made are not checked again. Should another
/// writer move one of the streams between the read and the write, the statements are prepared and signed again
/// inside the write transaction, which then cannot be overtaken (unless the caller pinned a revision with
/// `expectRev`, which is then a conflict): busy streams cost a longer lock, never a failure.
enum StatementAppender {
    static func append(
        _ drafts: [EventDraft], to store: any LedgerStore, timings: AppendTimings?, progress: ((Int) -> Void)?
    ) throws -> AppendResult {
        let start = ContinuousClock.now
        let ready = try prepareAndSign(drafts, in: store, timings: timings, inParts: true)
        return try write(ready, drafts, to: store, timings: timings, start: start, progress: progress).result
    }

    /// Appends batches one after another, each all or nothing in its own commit group; batches before a failing one
    /// stay committed and the error names the failing batch.
    ///
    /// While one batch is written, the next is prepared on the ledger as it will be once this one is in (chained on
    /// this batch's statements) and signed on the other cores. If nothing else was appended in between, its write
    /// then skips the lookups its preparation made; otherwise they are made again in its write transaction (and a
    /// stream moved by another writer has it prepared and signed again there), as for a single batch.
    static func append(
        batches: some Sequence<[EventDraft]>, to store: any LedgerStore, timings: AppendTimings?,
        name: (Int) -> String, progress: ((Int) -> Void)?
    ) throws -> [AppendResult] {
        var results: [AppendResult] = []
        var done = 0
        var iterator = batches.makeIterator()
        var next = iterator.next()
        var readyAhead: Ready?
        while let drafts = next {
            do {
                let start = ContinuousClock.now
                let ready: Ready
                if let readyAhead {
                    ready = readyAhead
                } else {
                    try Appender.validateShapes(drafts)
                    ready = try prepareAndSign(drafts, in: store, timings: timings)
                }
                readyAhead = nil
                next = iterator.next()
                let ahead = next.flatMap { prepareAhead($0, after: ready, in: store) }
                let (result, written) = try write(ready, drafts, to: store, timings: timings, start: start) {
                    progress?(done + $0)
                }
                done += drafts.count
                results.append(result)
                if let ahead { readyAhead = ahead.ready(after: written, timings: timings) }
            } catch {
                let wrapped = LedgerError.from(error)
                throw wrapped.with(
                    description:
                        "\(name(results.count + 1)): \(wrapped.description) (the \(results.count) before it are committed)"
                )
            }
        }
        return results
    }

    /// A batch prepared and signed, ready for its write transaction.
    private enum Ready {
        case recorded([Int64])
        case signed(
            statements: [SignedStatement], selfSigned: [Set<String>], preparedOn: LedgerHead?, format: LedgerFormat)
        /// Being signed in parts on the other cores: the write sequences each part once it is signed, while the
        /// parts after it are.
        case signing(SigningInParts, preparedOn: LedgerHead?, format: LedgerFormat)
    }

    /// Prepares `drafts` on a snapshot and signs them: the optimistic path, before any write transaction.
    ///
    /// With `inParts`, a batch of drafts whose every signature is made here (no signature made elsewhere to check)
    /// is signed in parts in the background instead, so that its write transaction places, checks and inserts the
    /// first parts while the later ones are signed.
    private static func prepareAndSign(
        _ drafts: [EventDraft], in store: any LedgerStore, timings: AppendTimings?, inParts: Bool = false
    ) throws -> Ready {
        let prepared: Prepared
        do { prepared = try store.read { reader in try prepare(drafts, in: reader) } } catch {
            throw LedgerError.from(error)
        }
        switch prepared {
        case .recorded(let seqs): return .recorded(seqs)
        case .statements(let bodies, let preparedOn, let format):
            if inParts, drafts.count > SigningInParts.partSize, drafts.allSatisfy({ $0.presigned.isEmpty }) {
                return .signing(SigningInParts(bodies, drafts), preparedOn: preparedOn, format: format)
            }
            let signStart = ContinuousClock.now
            let (statements, selfSigned) = sign(bodies, drafts)
            timings?.add(\.sign, since: signStart)
            return .signed(statements: statements, selfSigned: selfSigned, preparedOn: preparedOn, format: format)
        }
    }

    /// Statements signed in parts, in order, by workers on the other cores and by the thread that needs them: a
    /// thread waiting for a part nobody has begun signs it itself, so no core idles while parts remain.
    final class SigningInParts: Sendable {
        static let partSize = 256
        /// The statements as prepared, without signatures: their bodies and statement hashes.
        let unsigned: [SignedStatement]
        /// Per statement, the keys whose signatures are made here: all of them.
        let selfSigned: [Set<String>]
        private let parts: PartsInOrder<[SignedStatement], [String: Ed25519Signer]>

        init(_ unsigned: [SignedStatement], _ drafts: [EventDraft]) {
            self.unsigned = unsigned
            selfSigned = StatementAppender.selfSigned(unsigned, drafts)
            parts = PartsInOrder(
                Partition(items: unsigned.count, chunkSize: Self.partSize),
                context: { [:] }
            ) { signers, _, range in
                StatementAppender.sign(unsigned, drafts, range, signers: &signers)
            }
        }

        /// Statement `index` with its signatures: signed here if its part is the next nobody has begun.
        func signed(_ index: Int) -> SignedStatement {
            parts.value(index / Self.partSize)[index % Self.partSize]
        }

        /// Stops the workers once their current part is signed, and waits for them: no signing may still run when
        /// the caller returns (a process that exits while a thread is inside OpenSSL can crash in its exit handlers).
        func finish() { parts.finish() }
    }

    /// The batch after one being written: prepared on a snapshot, chained on that batch's statements, and signed in
    /// the background.
    private struct Ahead {
        let snapshot: LedgerHead?
        let format: LedgerFormat
        /// The statements signed, or nil when they could not be built (the batch is then prepared in its turn).
        let signing: Background<([SignedStatement], [Set<String>])?, Never>

        /// The batch ready for its write once the batch before it is `written`, or nil when it could not be
        /// prepared ahead: the lookups its preparation made
        /// count as made on the ledger's head only if that batch was written as prepared on the very head this one
        /// was prepared on (nothing else appended), and its time leaves this batch's `signed_at` within the clock
        /// skew of it (FORMAT.md §12.7), which the sequencer then does not check again.
        func ready(
            after written: (before: LedgerHead?, after: LedgerHead?)?, timings: AppendTimings?
        ) -> Ready? {
            // Only the wait counts as signing time: the rest overlapped the write before it.
            let waitStart = ContinuousClock.now
            guard let (statements, selfSigned) = signing.wait() else { return nil }
            timings?.add(\.sign, since: waitStart)
            var preparedOn: LedgerHead?
            if let written, let before = written.before, let snapshot, before.seq == snapshot.seq,
                before.bodyHash == snapshot.bodyHash, let after = written.after,
                let time = LedgerTime.milliseconds(after.time),
                let signedAt = statements.first.flatMap({ LedgerTime.milliseconds($0.body.signedAt) }),
                time <= signedAt + StatementRules.clockSkewMilliseconds
            {
                preparedOn = after
            }
            return .signed(statements: statements, selfSigned: selfSigned, preparedOn: preparedOn, format: format)
        }
    }

    /// Starts making the batch after `current` ready while `current` is written; nil when it cannot be prepared ahead
    /// (its ids meet the current batch's, or its lookups fail: it is then prepared after the write, where its
    /// error, if any, is reported in its turn).
    ///
    /// Only the lookups are made on this thread (the store's connection); the statements are built and signed on
    /// the other cores.
    private static func prepareAhead(
        _ drafts: [EventDraft], after current: Ready, in store: any LedgerStore
    ) -> Ahead? {
        guard case .signed(let earlier, _, _, _) = current, (try? Appender.validateShapes(drafts)) != nil else {
            return nil
        }
        let ids = Set(drafts.compactMap(\.id))
        guard ids.isEmpty || !earlier.contains(where: { ids.contains($0.body.id) }) else { return nil }
        guard let lookedUp = try? store.read({ reader in try lookUp(drafts, in: reader) }),
            case .found(let found) = lookedUp
        else { return nil }
        let signing = Background<([SignedStatement], [Set<String>])?, Never>.start {
            guard let bodies = try? found.statements(drafts, after: earlier) else { return nil }
            return sign(bodies, drafts)
        }
        return Ahead(snapshot: found.head, format: found.format, signing: signing)
    }

    /// Writes a ready batch as one commit group: as prepared, unless another writer moved one of its streams since
    /// (then prepared and signed again inside the write transaction, which cannot be overtaken, unless a draft pinned
    /// a revision with `expectRev`, which is then a conflict).
    ///
    /// Returns the result and, when the batch was written as prepared, the ledger's heads before and after it.
    private static func write(
        _ ready: Ready, _ drafts: [EventDraft], to store: any LedgerStore, timings: AppendTimings?,
        start: ContinuousClock.Instant, progress: ((Int) -> Void)?
    ) throws -> (result: AppendResult, written: (before: LedgerHead?, after: LedgerHead?)?) {
        let statements: [SignedStatement]
        let selfSigned: [Set<String>]
        let preparedOn: LedgerHead?
        let format: LedgerFormat
        var inParts: SigningInParts?
        switch ready {
        case .recorded(let seqs): return (AppendResult(seqs: seqs, alreadyRecorded: true), nil)
        case .signed(let signed, let mine, let head, let readFormat):
            (statements, selfSigned, preparedOn, format) = (signed, mine, head, readFormat)
        case .signing(let signing, let head, let readFormat):
            (statements, selfSigned, preparedOn, format) = (signing.unsigned, signing.selfSigned, head, readFormat)
            inParts = signing
        }
        defer { inParts?.finish() }
        do {
            let insertStart = ContinuousClock.now
            var heads: (before: LedgerHead?, after: LedgerHead?)?
            let outcomes = try store.write { transaction in
                let outcomes = try Sequencer.sequence(
                    statements, in: transaction,
                    options: SequencingOptions(
                        allOrNothing: true, selfSigned: selfSigned, progress: progress, preparedOn: preparedOn,
                        format: format, signedLater: inParts.map { signing in signing.signed },
                        sequenced: { heads = ($0, $1) }))
                PausePoint.beforeCommit.reach()
                return outcomes
            }
            PausePoint.afterCommit.reach()
            timings?.add(\.insert, since: insertStart)
            timings?.add(\.total, since: start)
            return (AppendResult(seqs: outcomes.compactMap(\.seq), alreadyRecorded: false), heads)
        } catch let error as LedgerError
            where error.code == .staleRevision && drafts.allSatisfy({ $0.expectRev == nil })
        {
            timings?.countDecidedAgain()
            // The parts not signed yet are signed again below, on the new heads.
            inParts?.finish()
        } catch {
            throw LedgerError.from(error)
        }
        // Overtaken: everything again inside the write transaction, which no other writer can overtake.
        do {
            let result = try store.write { transaction -> AppendResult in
                let prepared = try prepare(drafts, in: transaction)
                guard case .statements(let bodies, let preparedOn, let format) = prepared else {
                    guard case .recorded(let seqs) = prepared else { preconditionFailure("prepared") }
                    return AppendResult(seqs: seqs, alreadyRecorded: true)
                }
                let (statements, selfSigned) = sign(bodies, drafts)
                let outcomes = try Sequencer.sequence(
                    statements, in: transaction,
                    options: SequencingOptions(
                        allOrNothing: true, selfSigned: selfSigned, progress: progress, preparedOn: preparedOn,
                        format: format))
                PausePoint.beforeCommit.reach()
                return AppendResult(seqs: outcomes.compactMap(\.seq), alreadyRecorded: false)
            }
            PausePoint.afterCommit.reach()
            timings?.add(\.total, since: start)
            return (result, nil)
        } catch {
            throw LedgerError.from(error)
        }
    }

    private enum Prepared {
        case recorded([Int64])
        case statements([SignedStatement], head: LedgerHead?, format: LedgerFormat)
    }

    /// The statements' bodies on the heads `reader` sees, chained within the batch; or the seqs when every draft is
    /// already recorded.
    private static func prepare(_ drafts: [EventDraft], in reader: any LedgerReader) throws -> Prepared {
        switch try lookUp(drafts, in: reader) {
        case .recorded(let seqs): return .recorded(seqs)
        case .found(let found):
            return .statements(try found.statements(drafts, after: []), head: found.head, format: found.format)
        }
    }

    /// What the ledger says that preparing a batch needs: the seqs when every draft is already recorded, or the
    /// ledger's format, origin and head and the drafts' streams' heads.
    private static func lookUp(_ drafts: [EventDraft], in reader: any LedgerReader) throws -> LookedUp {
        if let recorded = try Appender.alreadyRecorded(drafts, in: reader) { return .recorded(recorded) }
        // The format, and the log key the write will need: a missing key fails here, before anything is signed.
        let format = try LedgerFormat.of(reader)
        guard let origin = try reader.meta("origin"), let genesis = format.genesisHash else {
            throw LedgerError.usage("the ledger is empty")
        }
        return .found(
            Found(
                origin: origin, genesis: genesis, format: format,
                streamHeads: try reader.streamHeads(of: drafts.lazy.map(\.stream)), head: try reader.head()))
    }

    private enum LookedUp {
        case recorded([Int64])
        case found(Found)
    }

    /// What a batch's statements are built on, read from one snapshot of the ledger.
    private struct Found: Sendable {
        let origin: String
        let genesis: String
        let format: LedgerFormat
        let streamHeads: [String: StreamHead]
        let head: LedgerHead?

        /// The drafts' statements, unsigned, each chained on its stream's head (or on the statement before it).
        ///
        /// The statement before it may be in this batch or in `earlier`. Reads nothing: a batch prepared ahead is
        /// built on another core.
        func statements(_ drafts: [EventDraft], after earlier: [SignedStatement]) throws -> [SignedStatement] {
            let signedAt = SystemClock().now()
            let expires = StatementRules.defaultExpiry(signedAt: signedAt)
            // First, in order, where each statement goes: its revision, and what it follows: a known head, or the
            // statement before it in this batch (whose hash is known only once that one is built).
            var heads: [String: (rev: Int64, follows: Follows)] = [:]
            for statement in earlier {
                heads[statement.body.stream] = (statement.body.streamRev, .head(statement.statementHashHex))
            }
            var placing: [(rev: Int64, follows: Follows)] = []
            placing.reserveCapacity(drafts.count)
            for (index, draft) in drafts.enumerated() {
                let current =
                    heads[draft.stream] ?? streamHeads[draft.stream].map { ($0.rev, Follows.head($0.link)) }
                let rev = current?.rev ?? 0
                if let expected = draft.expectRev, expected != rev {
                    throw LedgerError(
                        .staleRevision,
                        "stream \(draft.stream) is at revision \(rev), not the expected \(expected); nothing was written"
                    )
                }
                placing.append((rev + 1, current?.follows ?? .head(EntryBody.zeroHash)))
                heads[draft.stream] = (rev + 1, .statement(index))
            }
            // Then the statements that follow a known head, on all cores (an import's are all of them: a new
            // stream each), and in order the few that follow one of this batch.
            let places = placing
            var lastSigner: (raw: [UInt8], keyID: String)?
            let actors = drafts.map { draft in
                if let lastSigner, lastSigner.raw == draft.signer.publicKey.raw { return lastSigner.keyID }
                let keyID = KeyFiles.keyID(draft.signer.publicKey)
                lastSigner = (draft.signer.publicKey.raw, keyID)
                return keyID
            }
            @Sendable func build(_ index: Int, streamPrev: String) -> SignedStatement {
                let draft = drafts[index]
                let body = EntryBody(
                    ledger: origin, seq: 2, prev: EntryBody.zeroHash, stream: draft.stream,
                    streamRev: places[index].rev, streamPrev: streamPrev, id: draft.id ?? SecureRandom.uuidV4(),
                    time: signedAt, type: draft.type, actor: actors[index], data: draft.data,
                    version: EntryBody.statementVersion, genesis: genesis, signedAt: signedAt, expires: expires)
                // The next statement of the stream names this one's hash (serialized and hashed once, here).
                return SignedStatement(statement: body, sigs: [])
            }
            var unsigned = Parallel.map(Partition(items: drafts.count, chunkSize: 256)) { index -> SignedStatement? in
                guard case .head(let link) = places[index].follows else { return nil }
                return build(index, streamPrev: link)
            }
            for index in unsigned.indices where unsigned[index] == nil {
                guard case .statement(let before) = places[index].follows, let previous = unsigned[before] else {
                    preconditionFailure("a statement follows one built before it")
                }
                unsigned[index] = build(index, streamPrev: previous.statementHashHex)
            }
            // Every one is built now.
            return unsigned.compactMap { $0 }
        }

        /// What a statement of a batch follows in its stream.
        private enum Follows {
            /// A statement already recorded or prepared, by its statement hash (zeros for a new stream).
            case head(String)
            /// The statement at this index of the batch.
            case statement(Int)
        }
    }

    /// Each statement signed by its draft's signer and co-signers, on all cores (one signing context per key per
    /// thread), with the keys whose signatures were made here.
    private static func sign(_ unsigned: [SignedStatement], _ drafts: [EventDraft]) -> (
        [SignedStatement], [Set<String>]
    ) {
        let partition = Partition(items: unsigned.count, chunkSize: 128)
        let slots = SlotBuffer<[SignedStatement]>(repeating: [], count: partition.count)
        Parallel.forEach(partition) { part, range in
            var signers: [String: Ed25519Signer] = [:]
            slots[part] = sign(unsigned, drafts, range, signers: &signers)
        }
        return (slots.values.flatMap { $0 }, selfSigned(unsigned, drafts))
    }

    /// The statements of `range` signed by their drafts' signers and co-signers, with the signing contexts in
    /// `signers` (one per key, kept by the thread for its next range).
    static func sign(
        _ unsigned: [SignedStatement], _ drafts: [EventDraft], _ range: Range<Int>,
        signers: inout [String: Ed25519Signer]
    ) -> [SignedStatement] {
        range.map { index in
            var statement = unsigned[index]
            let body = statement.body
            let draft = drafts[index]
            let signer = signers[body.actor] ?? Ed25519Signer(key: draft.signer)
            signers[body.actor] = signer
            statement.add(EntrySignature(key: body.actor, signature: signer.sign(statement.actorMessage)))
            for sig in draft.presigned where sig.key != body.actor { statement.add(sig) }
            for coSigner in draft.coSigners {
                let message = SigningMessage.coSignature(
                    statementHash: statement.statementHash, signedAt: body.signedAt)
                statement.add(
                    EntrySignature(
                        key: KeyFiles.keyID(coSigner.publicKey), signature: coSigner.sign(message),
                        signedAt: body.signedAt))
            }
            return statement
        }
    }

    /// Per statement, the keys whose signatures this process makes: the actor's and the co-signers'.
    static func selfSigned(_ unsigned: [SignedStatement], _ drafts: [EventDraft]) -> [Set<String>] {
        drafts.enumerated().map { index, draft in
            Set([unsigned[index].body.actor] + draft.coSigners.map { KeyFiles.keyID($0.publicKey) })
        }
    }
}
