import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerApp
import LedgerClient
import LedgerCore
import LedgerCrypto
import LedgerServer
import LedgerTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

/// C2SP tlog-witness: `ledger witness serve` answers add-checkpoint with the spec's statuses, and `ledger serve`
/// submits every new checkpoint to its witnesses and serves it cosigned.
@Suite(.serialized)
struct WitnessProtocolTests {
    /// A witness in a new folder that witnesses the fixture's log; returns it and its vkey.
    static func witness(for ledger: LedgerFixture, in directory: TemporaryDirectory) throws -> (WitnessServer, String) {
        let folder = directory.path("witness")
        let witness = Witness(directory: folder)
        let vkey = try witness.initialize(name: "witness.test.example", passphrase: nil)
        let logKey = try NoteVerifierKey(name: ledger.origin, publicKey: ledger.logKey.publicKey)
        try witness.addLog(origin: ledger.origin, vkey: logKey.vkey)
        return (WitnessServer(directory: folder, passphrase: nil, host: "127.0.0.1", port: 0), vkey)
    }

    /// The newest stored checkpoint (synchronously).
    static func newest(_ store: any LedgerStore) throws -> (size: Int64, note: String)? {
        try store.read { try $0.checkpointNote(.newest) }
    }

    static func body(old: Int64, proof: [[UInt8]] = [], note: String) -> ByteBuffer {
        ByteBuffer(string: "old \(old)\n" + proof.map { Base64.encode($0) + "\n" }.joined() + "\n" + note)
    }

    @Test func addCheckpointAnswersWithTheSpecsStatuses() async throws {
        let fixture = try CustodyFixture()
        let directory = TemporaryDirectory()
        let (server, vkey) = try Self.witness(for: fixture.ledger, in: directory)
        let store = fixture.ledger.store
        let first = try #require(try Self.newest(store))
        try fixture.seize("EV-1")
        let second = try #require(try Self.newest(store))
        let origin = fixture.ledger.origin
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            func post(_ body: ByteBuffer) async throws -> TestResponse {
                try await client.execute(uri: "/add-checkpoint", method: .post, body: body)
            }
            // The first checkpoint: old 0, no proof.
            let cosigned = try await post(Self.body(old: 0, note: first.note))
            #expect(cosigned.status == .ok)
            let line = String(buffer: cosigned.body)
            #expect(line.hasPrefix("\u{2014} witness.test.example "))
            let note = try SignedNote(parsing: first.note + line)
            #expect(try Cosignature.timestamp(of: try CosignerKey(vkey: vkey), on: note) != nil)
            // The client thinks the witness is at 0: 409 with the size it is at.
            let stale = try await post(Self.body(old: 0, note: second.note))
            #expect(stale.status == .conflict)
            #expect(stale.headers[.contentType] == "text/x.tlog.size")
            #expect(String(buffer: stale.body) == "\(first.size)\n")
            // A wrong proof: 422; the right one: 200.
            let proof = try ProofBuilder.consistency(old: first.size, new: second.size, in: store).hashes
            var wrong = proof
            wrong[0][0] ^= 1
            #expect(
                try await post(Self.body(old: first.size, proof: wrong, note: second.note)).status
                    == .unprocessableContent)
            #expect(try await post(Self.body(old: first.size, proof: proof, note: second.note)).status == .ok)
            // Another log: 404. Not signed by the log's key: 403. Malformed: 400. Old size above the checkpoint's: 400.
            let other = try SignedCheckpoint.sign(
                Checkpoint(origin: "ledger.test.example/other", size: 1, root: [UInt8](repeating: 0, count: 32)),
                logKey: .generate())
            #expect(try await post(Self.body(old: 0, note: other.noteText)).status == .notFound)
            let forged = try SignedCheckpoint.sign(
                Checkpoint(origin: origin, size: second.size + 1, root: [UInt8](repeating: 0, count: 32)),
                logKey: .generate())
            #expect(try await post(Self.body(old: second.size, note: forged.noteText)).status == .forbidden)
            #expect(try await post(ByteBuffer(string: "old 01\n\n" + second.note)).status == .badRequest)
            #expect(try await post(Self.body(old: second.size + 5, note: second.note)).status == .badRequest)
        }
    }

    @Test func theServerSubmitsEachNewCheckpointAndServesItCosigned() async throws {
        let directory = TemporaryDirectory()
        let witness = LiveWitness()
        try await ServerHarness.run(
            configure: { $0.witnessRetrySeconds = 1 },
            prepare: { fixture, configuration in
                let (server, vkey) = try Self.witness(for: fixture.ledger, in: directory)
                let port = try await witness.start(server)
                configuration.witnesses = [try WitnessEndpoint(url: "http://127.0.0.1:\(port)", vkey: vkey)]
                return vkey
            }
        ) { server, vkey in
            let witnessKey = try CosignerKey(vkey: try #require(vkey))
            let carol = try server.remote("carol")
            let position = try await carol.head("item/EV-1")
            let statement = try ServerTests.release(
                "EV-1", to: "bob", at: position, by: try server.fixture.key("carol"))
            let seq = try #require(try await carol.submit([statement]).first?.seq)
            // Within a few seconds the served checkpoint covers the new entry and carries the cosignature.
            var cosigned: SignedCheckpoint?
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let checkpoint = try SignedCheckpoint(noteText: try await carol.checkpoint())
                if checkpoint.checkpoint.size >= seq,
                    try Cosignature.timestamp(of: witnessKey, on: checkpoint.note) != nil
                {
                    cosigned = checkpoint
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let checkpoint = try #require(cosigned, "the served checkpoint was never cosigned")
            #expect(try Cosignature.checkQuorum(on: checkpoint.note, witnesses: [witnessKey], quorum: 1).count == 1)
            await carol.close()
        }
        await witness.stop()
    }
}

/// A witness server running on a loopback port for one test.
final class LiveWitness: Sendable {
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Starts `server`; returns its port once it listens.
    func start(_ server: WitnessServer) async throws -> Int {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "witness-test")
        logger.logLevel = .critical
        let app = Application(
            router: server.router(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        task.withLock { $0 = Task { try await app.run() } }
        for await port in ports { return port }
        throw LedgerError.usage("the witness did not start")
    }

    /// Stops it.
    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        _ = try? await running?.value
    }
}
