import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerClient
import LedgerTestSupport
import NIOCore
import Testing

@testable import LedgerServer

#if canImport(Glibc)
    import Glibc
#endif

/// Request rates per key and per address, and the deadline for sending one whole request.
@Suite(.serialized)
struct LimitsTests {
    @Test func aBucketAdmitsItsBurstThenItsRate() {
        let limiter = RateLimiter(perSecond: 2, burst: 3)
        for _ in 0..<3 { #expect(limiter.take("k", now: 100) == nil) }
        #expect(limiter.take("k", now: 100) == 1)
        #expect(limiter.take("other", now: 100) == nil, "each name has its own bucket")
        #expect(limiter.take("k", now: 100.5) == nil, "half a second brings one request back")
        #expect(limiter.take("k", now: 100.5) == 1)
        let slow = RateLimiter(perSecond: 0.1, burst: 1)
        #expect(slow.take("k", now: 0) == nil)
        #expect(slow.take("k", now: 1) == 9)
    }

    @Test func aKeyOverItsRateGets429WithRetryAfterAndOthersAreServed() async throws {
        try await ServerHarness.run(configure: {
            // One request more every 1,000 s: however slowly this runs, the fourth finds the bucket empty.
            $0.requestsPerSecond = 0.001
            $0.requestBurst = 3
        }) { server in
            for _ in 0..<3 { #expect(try await server.signedRequest(.get, "/api/v1/whoami", by: "bob").status == .ok) }
            let refused = try await server.signedRequest(.get, "/api/v1/whoami", by: "bob")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { $0 >= 1 && $0 <= 1000 } == true)
            #expect(refused.problemCode == "usage")
            // Another key has its own share.
            #expect(try await server.signedRequest(.get, "/api/v1/whoami", by: "audrey").status == .ok)
            // Unsigned requests are counted by address.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 { statuses.append(try await server.client.execute(uri: "/healthz", method: .get).status) }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
        }
    }

    @Test func aClientThatTricklesItsHeadersIsCutOffAtTheRequestDeadline() async throws {
        try await ServerHarness.run(configure: {
            $0.requestSeconds = 2
            $0.idleTimeoutSeconds = 30
        }) { server in
            let fd = try SlowClientTests.connect(port: server.port)
            // One byte every 200 ms: never idle, never finished (the whole head would take 50 s).
            let head = Array(
                ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 200)).utf8)
            let (sent, seconds) = await SlowClientTests.onThread { () -> (Int, Double) in
                var sent = 0
                var started: Date?
                for byte in head {
                    var value = byte
                    if send(fd, &value, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
                    started = started ?? Date()
                    sent += 1
                    usleep(200_000)
                }
                close(fd)
                return (sent, started.map { Date().timeIntervalSince($0) } ?? 0)
            }
            // Cut off after the 2 s deadline: about 10 bytes (a slower machine sends fewer); 40 would be 8 s.
            #expect(sent < 40, "a trickling client sent \(sent) bytes in \(seconds) s without being cut off")
            // The server goes on (a new connection: the test client's own, idle past the deadline, was closed too).
            #expect(try await RemoteLedger(url: server.url, signer: nil).send("GET", "/healthz").status == 200)
        }
    }

    /// The deadline counts only the time to send a request: an answer that takes long, and a keep-alive
    /// connection that sends its next request in time, are unaffected.
    @Test func theDeadlineDoesNotCutAConnectionThatSendsInTime() async throws {
        try await ServerHarness.run(configure: { $0.requestSeconds = 2 }) { server in
            let fd = try SlowClientTests.connect(port: server.port)
            defer { close(fd) }
            // Eight requests 0.3 s apart: the connection lives longer than the deadline, each request well within it
            // (sent from a thread of its own, not one of the few the server's tasks need).
            let responses = await SlowClientTests.onThread { () -> [String] in
                (0..<8).map { _ in
                    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                    defer { usleep(300_000) }
                    return Self.readResponse(fd)
                }
            }
            for response in responses { #expect(response.contains("200 OK"), "\(response)") }
        }
    }

    /// One whole HTTP/1.1 response read from `fd`: its head, and as many body bytes as its Content-Length says.
    static func readResponse(_ fd: Int32) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: received, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let length =
                    text[..<end.lowerBound].split(separator: "\r\n").first {
                        $0.lowercased().hasPrefix("content-length:")
                    }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[end.upperBound...].utf8.count >= length { return text }
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return text }
            received += buffer[0..<count]
        }
    }
}
