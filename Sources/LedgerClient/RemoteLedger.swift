import AsyncHTTPClient
import Dispatch
import Foundation
import LedgerApp
import LedgerCore
import LedgerCrypto
import LedgerHTTP
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A ledger served by `ledger serve`, reached over HTTP(S): every request signed with the caller's key (RFC 9421,
/// docs/API.md), every refusal turned back into the ledger error the command line would have given locally (the
/// same code, so the same exit status).
public struct RemoteLedger: Sendable {
    /// The server's URL without a trailing slash (`https://ledger.example.org`): what requests are signed for.
    public let baseURL: String
    private let signer: Ed25519PrivateKey?
    private let client: HTTPClient
    /// How long one request may take.
    public var timeout: TimeAmount = .seconds(60)

    /// A response as received.
    public struct Reply: Sendable {
        /// The HTTP status.
        public let status: Int
        /// The header fields.
        public let headers: [(name: String, value: String)]
        /// The body.
        public let body: [UInt8]

        /// The first value of a header field.
        public func field(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// A client of the server at `url`, signing with `signer` (nil: unauthenticated requests only); `caFile`: a PEM
    /// file of the certificate authorities to trust for HTTPS instead of the system's.
    public init(url: String, signer: Ed25519PrivateKey?, caFile: String? = nil) throws(LedgerError) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
            throw .usage("a server is reached at an http:// or https:// URL, not \(url)")
        }
        baseURL = base
        self.signer = signer
        client = try Self.client(trusting: caFile)
    }

    /// The HTTP clients of this process, one per set of trusted authorities, made once and kept for its lifetime
    /// (so they never need shutting down): a connection that cannot be made fails the request at once with its
    /// reason (a one-shot command should say why, not retry until its deadline); up to 64 connections per server.
    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func client(trusting caFile: String?) throws(LedgerError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) } catch {
                throw .usage("cannot read the certificate authorities in \(caFile): \(error)")
            }
        }
        return clients.withLock { clients in
            if let known = clients[caFile ?? ""] { return known }
            var configuration = HTTPClient.Configuration(
                tlsConfiguration: tls, timeout: .init(connect: .seconds(10), read: .seconds(120)))
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile ?? ""] = made
            return made
        }
    }

    /// Nothing to release: the process's clients live as long as it does (kept for callers written to close).
    public func close() async {}

    /// Sends a request to `path` (with its query), signed when this client has a key; a problem answer is thrown
    /// as the ledger error it names.
    public func send(
        _ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, accept: [Int] = [200]
    ) async throws -> Reply {
        let url = baseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        var fields: [(name: String, value: String)] = []
        if let body, !body.isEmpty {
            fields.append(("Content-Digest", ContentDigest.value(for: body)))
            if let contentType { fields.append(("Content-Type", contentType)) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        if let signer {
            let created = Int64(Date().timeIntervalSince1970)
            let parameters = MessageSignatureParameters(
                created: created, expires: created + MessageSignature.lifetimeSeconds, nonce: SecureRandom.uuidV4(),
                keyID: KeyID.of(signer.publicKey))
            let signed = MessageSignature.sign(
                SignedRequestParts(method: method, targetURI: url, fields: fields), key: signer, parameters: parameters)
            fields.append(("Signature-Input", signed.signatureInput))
            fields.append(("Signature", signed.signature))
        }
        for field in fields { request.headers.add(name: field.name, value: field.value) }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch {
            if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                throw LedgerError(
                    code: .store,
                    "the certificate of \(baseURL) is not signed by an authority this client trusts: set"
                        + " $LEDGER_CA_FILE to the PEM file of the authority that signed it")
            }
            throw LedgerError(code: .store, "cannot reach the ledger server at \(baseURL): \(Self.reason(error))")
        }
        let reply = Reply(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: Array(bytes.readableBytesView))
        guard accept.contains(reply.status) else { throw Self.error(from: reply) }
        return reply
    }

    /// The ledger error a refused request stands for: the problem's code and detail, or the status alone.
    static func error(from reply: Reply) -> LedgerError {
        if let json = try? JSONParser.parse(reply.body), let detail = json.member("detail")?.stringValue {
            let code = json.member("code")?.stringValue.flatMap(LedgerError.Code.init(rawValue:)) ?? .usage
            return LedgerError(code: code, detail)
        }
        return LedgerError(code: reply.status == 404 ? .notFound : .usage, "the server answered \(reply.status)")
    }

    /// The position to sign the next statement of `stream` at.
    public func head(_ stream: String) async throws -> StreamPosition {
        let reply = try await send("GET", "/api/v1/head?stream=" + Self.escape(stream))
        return try StreamPosition(json: try JSONParser.parse(reply.body))
    }

    /// What became of one submitted statement.
    public struct Outcome: Sendable {
        /// The statement's id.
        public let id: String
        /// `recorded`, `already-recorded` or `refused`.
        public let status: String
        /// Its seq, unless refused.
        public let seq: Int64?
        /// The receipt (a tlog-proof with the record as its extra data), unless refused.
        public let receipt: String?
        /// Why it was refused.
        public let error: LedgerError?
    }

    /// Submits statements (one request; the server sequences them in its next commit group) and returns each one's
    /// outcome, in order.
    public func submit(_ statements: [SignedStatement]) async throws -> [Outcome] {
        let reply = try await send(
            "POST", "/api/v1/statements", body: StatementSigning.file(statements), contentType: "application/jsonl")
        let json = try JSONParser.parse(reply.body)
        guard let results = json.member("results")?.arrayValue, results.count == statements.count else {
            throw LedgerError(code: .store, "the server's answer does not list one result per statement")
        }
        return results.map { result in
            let problem = result.member("problem")
            return Outcome(
                id: result.member("id")?.stringValue ?? "", status: result.member("status")?.stringValue ?? "",
                seq: result.member("seq")?.integerValue, receipt: result.member("receipt")?.stringValue,
                error: problem.map { problem in
                    LedgerError(
                        code: problem.member("code")?.stringValue.flatMap(LedgerError.Code.init(rawValue:)) ?? .usage,
                        problem.member("detail")?.stringValue ?? "refused")
                })
        }
    }

    /// The server's newest checkpoint note.
    public func checkpoint() async throws -> String {
        String(decoding: try await send("GET", "/checkpoint").body, as: UTF8.self)
    }

    /// Percent-encodes a query value.
    public static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}

/// Runs async client work from synchronous code (the command line's main thread) and waits for it.
public enum Blocking {
    /// Runs `work` on the cooperative pool and blocks the calling thread, which must not be one of its threads,
    /// until it finishes.
    public static func wait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        // The task set it before signalling.
        guard let outcome = result.withLock({ $0 }) else { preconditionFailure("signalled without a result") }
        return try outcome.get()
    }
}

extension RemoteLedger {
    /// Downloads the log up to the server's newest checkpoint through the tlog-tiles entry bundles (for callers the
    /// server lets read the whole log), writing each record as one line of a JSON Lines export at `path`, and
    /// returns that checkpoint's note: what `ledger verify` then checks locally, trusting nothing the server says.
    ///
    /// Bundles are fetched several at a time and written in order; `progress` gets the entries written so far.
    public func downloadLog(to path: String, progress: @escaping @Sendable (Int64) -> Void) async throws -> String {
        let note = try await checkpoint()
        let checkpoint: SignedCheckpoint
        do { checkpoint = try SignedCheckpoint(noteText: note) } catch {
            throw LedgerError(code: .integrity, "the server's checkpoint is not a signed checkpoint: \(error)")
        }
        let size = checkpoint.checkpoint.size
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw LedgerError.usage("cannot create \(path)")
        }
        defer { try? handle.close() }
        let width = Int64(TilePath.fullWidth)
        let bundles = (size + width - 1) / width
        var written: Int64 = 0
        let inFlight = 8
        try await withThrowingTaskGroup(of: (Int64, [UInt8]).self) { group in
            var next: Int64 = 0
            var ready: [Int64: [UInt8]] = [:]
            var wanted: Int64 = 0
            func start() {
                guard next < bundles else { return }
                let index = next
                let tile = TilePath(level: nil, index: index, width: Int(min(width, size - index * width)))
                group.addTask { (index, try await send("GET", "/tile/" + tile.path).body) }
                next += 1
            }
            for _ in 0..<inFlight { start() }
            while let (index, bytes) = try await group.next() {
                ready[index] = bytes
                while let bundle = ready.removeValue(forKey: wanted) {
                    let expected = Int(min(width, size - wanted * width))
                    let lines = try Self.lines(ofBundle: bundle, entries: expected, index: wanted)
                    try handle.write(contentsOf: lines)
                    written += Int64(expected)
                    progress(written)
                    wanted += 1
                }
                start()
            }
        }
        return note
    }

    /// A bundle's entries as JSON Lines: checks it holds exactly `entries` length-prefixed records.
    static func lines(ofBundle bundle: [UInt8], entries: Int, index: Int64) throws -> Data {
        var out = Data()
        out.reserveCapacity(bundle.count + entries)
        var offset = 0
        for _ in 0..<entries {
            guard offset + 2 <= bundle.count else {
                throw LedgerError(code: .integrity, "entry bundle \(index) from the server is truncated")
            }
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            offset += 2
            guard offset + length <= bundle.count else {
                throw LedgerError(code: .integrity, "entry bundle \(index) from the server is truncated")
            }
            out.append(contentsOf: bundle[offset..<offset + length])
            out.append(0x0a)
            offset += length
        }
        guard offset == bundle.count else {
            throw LedgerError(code: .integrity, "entry bundle \(index) from the server has bytes after its entries")
        }
        return out
    }
}

extension RemoteLedger {
    /// Every page of a list endpoint that answers `{"<member>":[…],"next":…}`, following `next` as `after` (until
    /// at least `maximum` values are read, when given).
    public func all(_ path: String, member: String, query: [(String, String)] = [], maximum: Int? = nil)
        async throws -> [JSONValue]
    {
        var values: [JSONValue] = []
        var after: String?
        repeat {
            if let maximum, values.count >= maximum { break }
            var parts = query.map { "\($0.0)=\(Self.escape($0.1))" } + ["limit=1000"]
            if let after { parts.append("after=\(Self.escape(after))") }
            let json = try JSONParser.parse(try await send("GET", path + "?" + parts.joined(separator: "&")).body)
            values += json.member(member)?.arrayValue ?? []
            after = json.member("next")?.stringValue
        } while after != nil
        return values
    }

    /// The exact records of a stream the caller may read (or of the whole log with `stream` nil, for auditors), in
    /// seq order, following the `Link` header page by page.
    public func records(stream: String?) async throws -> [[UInt8]] {
        var found: [[UInt8]] = []
        try await records(query: stream.map { [("stream", $0)] } ?? []) { found.append($0) }
        return found
    }

    /// The exact records `/api/v1/log` answers for `query` (`from`, `to`, `stream`, `actor`, `since`, `until`), in
    /// seq order, each given to `each` as its page arrives.
    public func records(query: [(String, String)], each: ([UInt8]) throws -> Void) async throws {
        var path: String? =
            "/api/v1/log?"
            + (query.map { "\($0.0)=\(Self.escape($0.1))" } + ["limit=1000"])
            .joined(separator: "&")
        while let next = path {
            let reply = try await send("GET", next)
            for line in reply.body.split(separator: 0x0a) { try each(Array(line)) }
            path = reply.field("Link").flatMap { link in
                guard let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">") else { return nil }
                return String(link[link.index(after: open)..<close])
            }
        }
    }
}

extension RemoteLedger {
    /// A transport error in a user's words: the common causes named, anything else as the client reports it.
    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused (is `ledger serve` running there, on that port?)"
        }
        if text.contains("WRONG_VERSION_NUMBER") {
            return "the server does not speak TLS there (try http:// instead of https://)"
        }
        if text.contains("Connection reset") || text.contains("errno: 104") { return "the connection was reset" }
        if text.contains("deadlineExceeded") || text.contains("connectTimeout") {
            return "no answer in time (timed out)"
        }
        return text
    }
}
