import Foundation

/// When to try a failed job again: exponential back-off with jitter, capped, so a burst of
/// failures (a receiver down) does not come back as a burst.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var maximum: Duration
    /// 0.25: each delay is drawn from ±25 % of its nominal value.
    public var jitter: Double

    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(3600), jitter: Double = 0.25) {
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay after the `attempt`-th failed run (1-based): base · 2^(attempt−1), capped, jittered.
    public func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using random: inout R) -> Duration {
        let nominal = min(base.seconds * pow(2, Double(max(attempt - 1, 0))), maximum.seconds)
        let factor = jitter > 0 ? Double.random(in: (1 - jitter)...(1 + jitter), using: &random) : 1
        return .milliseconds(Int64((nominal * factor * 1000).rounded()))
    }

    public func delay(afterAttempt attempt: Int) -> Duration {
        var random = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &random)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
