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
        // Optimistic: prepared on a snapshot and signed before the write transaction.
        let prepared: Prepared
        do { prepared = try store.read { reader in try prepare(drafts, in: reader) } } catch {
            throw LedgerError.from(error)
        }
        guard case .statements(let bodies, let preparedOn, let format) = prepared else {
            guard case .recorded(let seqs) = prepared else { preconditionFailure("prepared") }
            return AppendResult(seqs: seqs, alreadyRecorded: true)
        }
        let signStart = ContinuousClock.now
        let (statements, selfSigned) = sign(bodies, drafts)
        timings?.add(\.sign, since: signStart)
        do {
            let insertStart = ContinuousClock.now
            let outcomes = try store.write { transaction in
                let outcomes = try Sequencer.sequence(
                    statements, in: transaction,
                    options: SequencingOptions(
                        allOrNothing: true, selfSigned: selfSigned, progress: progress, preparedOn: preparedOn,
                        format: format))
                PausePoint.beforeCommit.reach()
                return outcomes
            }
            PausePoint.afterCommit.reach()
            timings?.add(\.insert, since: insertStart)
            timings?.add(\.total, since: start)
            return AppendResult(seqs: outcomes.compactMap(\.seq), alreadyRecorded: false)
        } catch let error as LedgerError
            where error.code == .staleRevision && drafts.allSatisfy({ $0.expectRev == nil })
        {
            timings?.countDecidedAgain()
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
            return result
        } catch {
            throw LedgerError.from(error)
        }
    }

    /// Appends batches one after another, each all or nothing in its own commit group; batches before a failing one
    /// stay committed and the error names the failing batch.
    static func append(
        batches: some Sequence<[EventDraft]>, to store: any LedgerStore, timings: AppendTimings?,
        name: (Int) -> String, progress: ((Int) -> Void)?
    ) throws -> [AppendResult] {
        var results: [AppendResult] = []
        var done = 0
        for drafts in batches {
            do {
                try Appender.validateShapes(drafts)
                let result = try append(drafts, to: store, timings: timings) { progress?(done + $0) }
                done += drafts.count
                results.append(result)
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

    private enum Prepared {
        case recorded([Int64])
        case statements([SignedStatement], head: LedgerHead?, format: LedgerFormat)
    }

    /// The statements' bodies on the heads `reader` sees, chained within the batch; or the seqs when every draft
    /// is already recorded.
    private static func prepare(_ drafts: [EventDraft], in reader: any LedgerReader) throws -> Prepared {
        if let recorded = try Appender.alreadyRecorded(drafts, in: reader) { return .recorded(recorded) }
        // The format, and the log key the write will need: a missing key fails here, before anything is signed.
        let format = try LedgerFormat.of(reader)
        guard let origin = try reader.meta("origin"), let genesis = format.genesisHash else {
            throw LedgerError.usage("the ledger is empty")
        }
        let signedAt = SystemClock().now()
        let expires = StatementRules.defaultExpiry(signedAt: signedAt)
        let stored = try reader.streamHeads(of: drafts.lazy.map(\.stream))
        var heads: [String: (rev: Int64, link: String)] = [:]
        var lastSigner: (raw: [UInt8], keyID: String)?
        var unsigned: [SignedStatement] = []
        unsigned.reserveCapacity(drafts.count)
        for draft in drafts {
            let current = heads[draft.stream] ?? stored[draft.stream].map { ($0.rev, $0.link) }
            let rev = current?.rev ?? 0
            if let expected = draft.expectRev, expected != rev {
                throw LedgerError(
                    .staleRevision,
                    "stream \(draft.stream) is at revision \(rev), not the expected \(expected); nothing was written")
            }
            let actor: String
            if let lastSigner, lastSigner.raw == draft.signer.publicKey.raw {
                actor = lastSigner.keyID
            } else {
                actor = KeyFiles.keyID(draft.signer.publicKey)
                lastSigner = (draft.signer.publicKey.raw, actor)
            }
            let body = EntryBody(
                ledger: origin, seq: 2, prev: EntryBody.zeroHash, stream: draft.stream, streamRev: rev + 1,
                streamPrev: current?.link ?? EntryBody.zeroHash, id: draft.id ?? SecureRandom.uuidV4(),
                time: signedAt, type: draft.type, actor: actor, data: draft.data,
                version: EntryBody.statementVersion, genesis: genesis, signedAt: signedAt, expires: expires)
            // The next statement of the stream names this one's hash (serialized and hashed once, here).
            let statement = SignedStatement(statement: body, sigs: [])
            heads[draft.stream] = (rev + 1, statement.statementHashHex)
            unsigned.append(statement)
        }
        return .statements(unsigned, head: try reader.head(), format: format)
    }

    /// Each statement signed by its draft's signer and co-signers, on all cores (one signing context per key per
    /// thread), with the keys whose signatures were made here.
    private static func sign(_ unsigned: [SignedStatement], _ drafts: [EventDraft]) -> (
        [SignedStatement], [Set<String>]
    ) {
        let slots = SlotBuffer<SignedStatement?>(repeating: nil, count: unsigned.count)
        Parallel.forEach(Partition(items: unsigned.count, chunkSize: 128)) { _, range in
            var signers: [String: Ed25519Signer] = [:]
            for index in range {
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
                slots[index] = statement
            }
        }
        let statements = slots.values.compactMap { $0 }
        let selfSigned = drafts.enumerated().map { index, draft in
            Set([unsigned[index].body.actor] + draft.coSigners.map { KeyFiles.keyID($0.publicKey) })
        }
        return (statements, selfSigned)
    }
}
