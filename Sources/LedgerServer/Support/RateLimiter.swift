import Foundation
import Synchronization

/// Token buckets by name (a key id, a peer address).
///
/// Each may make `burst` requests at once, then `perSecond` a second. The one place the server's request-rate limits are decided: per signing key, per address for unsigned
/// requests, and for registration requests.
final class RateLimiter: Sendable {
    let perSecond: Double
    let burst: Double
    private let buckets = Mutex<[String: (tokens: Double, at: Double)]>([:])
    /// Past this many buckets, those full again (idle long enough) are dropped, so names cannot grow memory.
    static let pruneAbove = 10_000

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Takes one request for `name`: nil when admitted, else the whole seconds until the next is (`Retry-After`).
    func take(_ name: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        buckets.withLock { buckets in
            if buckets.count > Self.pruneAbove {
                buckets = buckets.filter { $0.value.tokens + (now - $0.value.at) * perSecond < burst }
            }
            var bucket = buckets[name] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[name] = bucket
                return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[name] = bucket
            return nil
        }
    }
}
