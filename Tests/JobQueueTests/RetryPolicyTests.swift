import Foundation
import JobQueue
import Testing

/// A seeded generator (SplitMix64), so the jitter tests draw the same numbers every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Duration {
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("without jitter the delay doubles with each attempt from the base")
    func exponential() {
        let policy = RetryPolicy(base: .seconds(1), maximum: .seconds(3600), jitter: 0)
        var random = SeededGenerator(seed: 1)
        let delays = (1...6).map { policy.delay(afterAttempt: $0, using: &random) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(32)])
        let quick = RetryPolicy(base: .milliseconds(10), maximum: .seconds(1), jitter: 0)
        #expect((1...4).map { quick.delay(afterAttempt: $0, using: &random) } == [.milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
    }

    @Test("the delay is capped at the maximum, even for very many attempts")
    func capped() {
        let policy = RetryPolicy(base: .seconds(1), maximum: .seconds(10), jitter: 0)
        var random = SeededGenerator(seed: 2)
        #expect(policy.delay(afterAttempt: 4, using: &random) == .seconds(8))
        for attempt in [5, 6, 20, 64, 100, 1000, 100_000] {
            #expect(policy.delay(afterAttempt: attempt, using: &random) == .seconds(10), "attempt \(attempt)")
        }
    }

    @Test("attempt 0 or less counts as the first")
    func firstAttempt() {
        let policy = RetryPolicy(base: .seconds(3), maximum: .seconds(3600), jitter: 0)
        var random = SeededGenerator(seed: 3)
        #expect(policy.delay(afterAttempt: 0, using: &random) == .seconds(3))
        #expect(policy.delay(afterAttempt: -5, using: &random) == .seconds(3))
    }

    @Test("with jitter each delay stays within ±jitter of its nominal value and spreads across it")
    func jitterStaysInBounds() {
        let policy = RetryPolicy(base: .seconds(1), maximum: .seconds(100), jitter: 0.25)
        var random = SeededGenerator(seed: 42)
        for attempt in 1...10 {
            let nominal = min(pow(2, Double(attempt - 1)), 100)
            let draws = (0..<500).map { _ in policy.delay(afterAttempt: attempt, using: &random).inSeconds / nominal }
            #expect(draws.allSatisfy { (0.75 - 0.001)...(1.25 + 0.001) ~= $0 }, "attempt \(attempt): \(draws.min()!)…\(draws.max()!)")
            #expect(draws.min()! < 0.8 && draws.max()! > 1.2, "jitter not spread at attempt \(attempt)")
            #expect(Set(draws).count > 100)
        }
    }

    @Test("the same seed draws the same delays; the system generator stays within bounds")
    func deterministicWithSeed() {
        let policy = RetryPolicy()
        #expect(policy == RetryPolicy(base: .seconds(1), maximum: .seconds(3600), jitter: 0.25))
        var first = SeededGenerator(seed: 7)
        var second = SeededGenerator(seed: 7)
        let a = (1...20).map { policy.delay(afterAttempt: $0, using: &first) }
        let b = (1...20).map { policy.delay(afterAttempt: $0, using: &second) }
        #expect(a == b)
        for _ in 0..<200 {
            let delay = policy.delay(afterAttempt: 3).inSeconds
            #expect((3.0...5.0).contains(delay))
        }
    }

    @Test("a capped delay is jittered around the maximum")
    func cappedWithJitter() {
        let policy = RetryPolicy(base: .seconds(1), maximum: .seconds(10), jitter: 0.1)
        var random = SeededGenerator(seed: 9)
        let draws = (0..<300).map { _ in policy.delay(afterAttempt: 30, using: &random).inSeconds }
        #expect(draws.allSatisfy { (8.999...11.001).contains($0) })
    }
}
