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
            let started = Date()
            let trickled = Task.detached { () -> Double in
                // One byte every 200 ms: never idle, never finished.
                let head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 200)
                let text = Array(head.utf8)
                for byte in text {
                    var value = byte
                    if send(fd, &value, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
                    usleep(200_000)
                }
                close(fd)
                return Date().timeIntervalSince(started)
            }
            let seconds = await trickled.value
            #expect(seconds < 6, "a trickling client kept its connection \(seconds) s")
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
            // Four requests 0.7 s apart: the connection lives longer than the deadline, each request within it.
            for _ in 0..<4 {
                let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &buffer, buffer.count, 0)
                #expect(count > 0 && String(decoding: buffer[0..<max(0, count)], as: UTF8.self).contains("200 OK"))
                usleep(700_000)
            }
        }
    }
}
