import Foundation
import LedgerClient
import LedgerServer
import LedgerTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Slow and truncated requests: a client that stops in the middle of its headers or its body is cut off after the
/// idle timeout, nothing is written, and the server goes on answering everyone else.
@Suite(.serialized)
struct SlowClientTests {
    /// A TCP connection to the server on loopback.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Sends `text`; then reads until the server closes the connection; returns what it sent and how long it took.
    static func sendAndWaitForClose(_ fd: Int32, _ text: String) -> (answer: String, seconds: Double) {
        let start = Date()
        _ = text.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        close(fd)
        return (String(decoding: received, as: UTF8.self), Date().timeIntervalSince(start))
    }

    /// Runs `body` on a thread of its own: a blocking socket call must not hold one of the few threads that async
    /// tests and the server's own tasks share (two on a 2-core machine).
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// `GET /healthz` on `client`, tried again once on a new connection: the server closes a kept-alive connection
    /// after its idle timeout, which a loaded machine can reach between two requests.
    static func healthz(_ client: RemoteLedger) async throws -> Int {
        do { return try await client.send("GET", "/healthz").status } catch {
            return try await client.send("GET", "/healthz").status
        }
    }

    @Test func aClientThatStopsMidRequestIsCutOffAndNothingIsWritten() async throws {
        try await ServerHarness.run(configure: { $0.idleTimeoutSeconds = 1 }) { server in
            let count = try server.fixture.count()
            // Headers never finished.
            let headers = try Self.connect(port: server.port)
            // A body shorter than its Content-Length.
            let body = try Self.connect(port: server.port)
            async let stalledHeaders = Self.onThread {
                Self.sendAndWaitForClose(headers, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            }
            async let truncated = Self.onThread {
                Self.sendAndWaitForClose(
                    body,
                    "POST /api/v1/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 5000\r\n\r\n{\"statement\":")
            }
            // Meanwhile everyone else is answered (a client that reconnects: idle connections close after 1 s here).
            let other = try RemoteLedger(url: server.url, signer: nil)
            for _ in 0..<5 { #expect(try await Self.healthz(other) == 200) }
            let (first, second) = await (stalledHeaders, truncated)
            #expect(first.seconds < 8, "a connection stalled in its headers stayed open \(first.seconds) s")
            #expect(second.seconds < 8, "a connection stalled in its body stayed open \(second.seconds) s")
            #expect(!second.answer.contains("201"), "\(second.answer)")
            #expect(try server.fixture.count() == count)
            #expect(try await Self.healthz(other) == 200)
        }
    }
}
