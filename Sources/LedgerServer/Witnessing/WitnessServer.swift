import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LedgerApp
import LedgerCore
import LedgerCrypto
import Logging
import NIOCore

/// `ledger witness serve`: the C2SP tlog-witness `add-checkpoint` endpoint over a witness kept in files
/// (c2sp.org/tlog-witness), so that a partner agency can run ours or any other implementation interchangeably.
///
/// `POST /add-checkpoint` with `old N`, the consistency proof lines, an empty line and the checkpoint: 200 with the
/// cosignature line; 400 malformed (or old size above the checkpoint's), 403 no valid signature by the log's key,
/// 404 unknown log, 409 old size mismatch (the body is the size last cosigned, `text/x.tlog.size`), 422 bad proof.
public struct WitnessServer: Sendable {
    let witness: Witness
    let passphrase: String?
    let host: String
    let port: Int
    /// The largest request accepted (a checkpoint, 63 proof lines and signatures fit in far less).
    static let maxBodyBytes = 64 << 10

    /// A witness server over the witness in `directory`.
    public init(directory: String, passphrase: String?, host: String, port: Int) {
        witness = Witness(directory: directory)
        self.passphrase = passphrase
        self.host = host
        self.port = port
    }

    /// The router: `/add-checkpoint` and `/healthz`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in Reply.json(.object([JSONMember("status", "ok")])) }
        router.post("/add-checkpoint") { request, _ in try await addCheckpoint(request) }
        return router
    }

    /// Serves until SIGINT or SIGTERM.
    public func run(logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: router(), server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "custody-ledger-witness"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }

    private func addCheckpoint(_ request: Request) async throws -> Response {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: Self.maxBodyBytes) } catch {
            return Self.text(.contentTooLarge, "the request is over \(Self.maxBodyBytes) bytes\n")
        }
        let parsed: (old: Int64, proof: [[UInt8]], note: String)
        do { parsed = try Self.parse(Array(buffer.readableBytesView)) } catch {
            return Self.text(.badRequest, "\(error)\n")
        }
        let witness = self.witness
        let passphrase = self.passphrase
        do {
            let line = try await OffExecutor.run {
                try witness.addCheckpoint(
                    oldSize: parsed.old, consistency: parsed.proof, checkpointNote: parsed.note, passphrase: passphrase)
            }
            return Self.text(.ok, line)
        } catch let refusal as WitnessRefusal {
            switch refusal.kind {
            case .malformed: return Self.text(.badRequest, refusal.description + "\n")
            case .unknownLog: return Self.text(.notFound, refusal.description + "\n")
            case .signature: return Self.text(.forbidden, refusal.description + "\n")
            case .badProof: return Self.text(.unprocessableContent, refusal.description + "\n")
            case .sizeMismatch(let size):
                // tlog-witness: the body is the size last cosigned, in decimal, and a newline.
                return Response(
                    status: .conflict, headers: [.contentType: "text/x.tlog.size"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "\(size)\n")))
            }
        } catch {
            return Self.text(.internalServerError, "the witness could not cosign: \(error)\n")
        }
    }

    /// The request body: `old N`, proof lines (base64, at most 63), an empty line, the checkpoint note.
    static func parse(_ body: [UInt8]) throws -> (old: Int64, proof: [[UInt8]], note: String) {
        struct Malformed: Error, CustomStringConvertible { let description: String }
        guard let text = String(validating: body, as: UTF8.self) else { throw Malformed(description: "not UTF-8") }
        guard let blank = text.range(of: "\n\n") else {
            throw Malformed(description: "no empty line between the old size and proof and the checkpoint")
        }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "),
            let old = Int64(first.dropFirst(4)), old >= 0, String(old) == first.dropFirst(4)
        else {
            throw Malformed(description: "the first line must be `old SIZE` (decimal, no leading zeros)")
        }
        let proofLines = head.dropFirst()
        guard proofLines.count <= 63 else { throw Malformed(description: "more than 63 consistency proof lines") }
        var proof: [[UInt8]] = []
        for line in proofLines {
            guard let hash = Base64.decodeCanonical(String(line)), hash.count == 32 else {
                throw Malformed(description: "a consistency proof line is not the base64 of a 32-byte hash")
            }
            proof.append(hash)
        }
        if old == 0, !proof.isEmpty { throw Malformed(description: "the proof must be empty when the old size is 0") }
        return (old, proof, String(text[blank.upperBound...]))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
