import Foundation
import Synchronization

/// A token bucket per client address for what anyone may call without an account: a burst
/// of `burst` requests, then `perMinute` a minute. In memory, per process: behind a proxy
/// with several `serve` processes each keeps its own share, which bounds abuse well enough
/// for forms people fill in by hand.
final class ClientRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perMinute: Int
    let burst: Int
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    /// `perMinute` 0 turns limiting off (benchmarks, trusted networks).
    init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = max(1, burst)
    }

    /// nil when the request may go ahead (and takes a token); otherwise seconds to wait.
    func refusal(for client: String) -> Int? {
        guard perMinute > 0 else { return nil }
        let now = clock.now
        let rate = Double(perMinute) / 60
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }
            var bucket = buckets[client] ?? Bucket(tokens: Double(burst), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(burst), bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[client] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
