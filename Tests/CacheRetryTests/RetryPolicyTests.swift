import CacheRetry
import Testing

@Suite("RetryPolicy waits")
struct RetryPolicyTests {
    @Test("restore waits follow 500^(n/16+1) ms without jitter")
    func restoreWaitsWithoutJitter() {
        let waits = (0 ..< 4).map { RetryPolicy.restore.wait(afterFailures: $0, unit: 0) }
        #expect(waits == [.milliseconds(500), .milliseconds(737), .milliseconds(1087), .milliseconds(1603)])
    }

    @Test("half a unit of jitter adds 500 ms to every restore wait")
    func restoreWaitsWithJitter() {
        let waits = (0 ..< 4).map { RetryPolicy.restore.wait(afterFailures: $0, unit: 0.5) }
        #expect(waits == [.milliseconds(1000), .milliseconds(1237), .milliseconds(1587), .milliseconds(2103)])
    }

    @Test("save waits 5 s every time, plus its jitter")
    func saveWaitsAreConstant() {
        for failures in 0 ..< 9 {
            #expect(RetryPolicy.save.wait(afterFailures: failures, unit: 0) == .seconds(5))
            #expect(RetryPolicy.save.wait(afterFailures: failures, unit: 0.5) == .milliseconds(5500))
        }
    }

    @Test("the built-in policies have the documented attempts, strategies and jitter")
    func builtInPolicies() {
        #expect(RetryPolicy.restore == RetryPolicy(
            attempts: 5, strategy: .exponentialSubsecond(initial: .milliseconds(500)), jitter: .seconds(1)))
        #expect(RetryPolicy.save == RetryPolicy(attempts: 10, strategy: .constant(.seconds(5)), jitter: .seconds(1)))
    }

    @Test("jitter stays within 0 ..< jitter for any unit", arguments: [0.0, 0.001, 0.25, 0.75, 0.999_999, 1.0.nextDown])
    func jitterBounds(unit: Double) {
        for failures in 0 ..< 5 {
            let base = RetryPolicy.restore.wait(afterFailures: failures, unit: 0)
            let wait = RetryPolicy.restore.wait(afterFailures: failures, unit: unit)
            #expect(wait >= base)
            #expect(wait < base + .seconds(1))
        }
    }

    @Test("out-of-range units are clamped instead of exceeding the jitter")
    func unitsOutsideRangeAreClamped() {
        let policy = RetryPolicy.save
        #expect(policy.wait(afterFailures: 0, unit: -0.5) == .seconds(5))
        #expect(policy.wait(afterFailures: 0, unit: 1.5) == .milliseconds(5999))
        #expect(policy.wait(afterFailures: 0, unit: .nan) == .seconds(5))
    }

    @Test("exponential doubles from its initial wait")
    func exponentialDoubles() {
        let policy = RetryPolicy(attempts: 6, strategy: .exponential(initial: .milliseconds(100)), jitter: .zero)
        let waits = (0 ..< 5).map { policy.wait(afterFailures: $0, unit: 0.9) }
        #expect(waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600)])
    }

    @Test("huge exponents are capped at the maximum wait, jitter still added")
    func hugeWaitsAreCapped() {
        let doubling = RetryPolicy(attempts: 100, strategy: .exponential(initial: .seconds(1)), jitter: .seconds(1))
        #expect(doubling.wait(afterFailures: 99, unit: 0) == RetryPolicy.maximumWait)
        #expect(doubling.wait(afterFailures: 2_000, unit: 0.5) == RetryPolicy.maximumWait + .milliseconds(500))
        let subsecond = RetryPolicy(attempts: 100, strategy: .exponentialSubsecond(initial: .seconds(120)), jitter: .zero)
        #expect(subsecond.wait(afterFailures: 99, unit: 0) == RetryPolicy.maximumWait)
        let zero = RetryPolicy(attempts: 100, strategy: .exponential(initial: .zero), jitter: .zero)
        #expect(zero.wait(afterFailures: 5_000, unit: 0) == .zero)
    }
}
