import CacheRetry
import Testing

@Suite("Duration parsing and policy overrides")
struct OverrideTests {
    @Test("durations as users write them", arguments: [
        ("500ms", Duration.milliseconds(500)), ("5s", .seconds(5)), ("1.5s", .milliseconds(1500)),
        ("2m", .seconds(120)), ("1.1s", .milliseconds(1100)), ("0.25s", .milliseconds(250)),
        ("0s", .zero), ("0", .zero), (" 750ms\n", .milliseconds(750)), ("1.5ms", .microseconds(1500)),
    ])
    func validDurations(text: String, expected: Duration) throws {
        #expect(try RetryPolicy.parseDuration(text) == expected)
    }

    @Test("bad durations say what is wrong", arguments: [
        ("", "a duration is empty; write a number and a unit such as 500ms, 5s, 1.5s or 2m"),
        ("5", "duration \"5\" has no unit; write 5ms, 5s or 5m"),
        ("5x", "duration \"5x\" has an unknown unit \"x\"; use ms, s or m, such as 500ms, 5s, 1.5s or 2m"),
        ("5 s", "duration \"5 s\" has an unknown unit \" s\"; use ms, s or m, such as 500ms, 5s, 1.5s or 2m"),
        ("fast", "duration \"fast\" does not start with a number; write a number and a unit such as 500ms, 5s, 1.5s or 2m"),
        (".5s", "duration \".5s\" does not start with a number; write a number and a unit such as 500ms, 5s, 1.5s or 2m"),
        ("1.s", "duration \"1.s\" does not start with a number; write a number and a unit such as 500ms, 5s, 1.5s or 2m"),
        ("1.2.3s", "duration \"1.2.3s\" does not start with a number; write a number and a unit such as 500ms, 5s, 1.5s or 2m"),
        ("-1s", "duration \"-1s\" is negative; a wait cannot be, write one such as 500ms, 5s, 1.5s or 2m"),
        ("999999999m", "duration \"999999999m\" is too large; retry waits are at most minutes"),
        ("12345678901s", "duration \"12345678901s\" is too large; retry waits are at most minutes"),
    ])
    func invalidDurations(text: String, message: String) {
        let error = #expect(throws: RetryPolicyError.self) { try RetryPolicy.parseDuration(text) }
        #expect(error == RetryPolicyError(option: nil, message: message))
    }

    @Test("attempts outside 1...100 are refused", arguments: [0, -3, 101])
    func attemptsOutOfRange(attempts: Int) {
        let error = #expect(throws: RetryPolicyError.self) {
            try RetryPolicy.restore.overriding(attempts: attempts, strategy: nil, interval: nil, jitter: nil)
        }
        #expect(error == RetryPolicyError(
            option: .attempts, message: "retry attempts must be between 1 and 100, got \(attempts)"))
    }

    @Test("an unknown strategy lists the known ones")
    func unknownStrategy() {
        let error = #expect(throws: RetryPolicyError.self) {
            try RetryPolicy.save.overriding(attempts: nil, strategy: "linear", interval: nil, jitter: nil)
        }
        #expect(error == RetryPolicyError(
            option: .strategy,
            message: "unknown retry strategy \"linear\"; use one of constant, exponential, exponential-subsecond"))
    }

    @Test("no overrides give the policy back unchanged")
    func noOverrides() throws {
        #expect(try RetryPolicy.restore.overriding(attempts: nil, strategy: nil, interval: nil, jitter: nil) == .restore)
    }

    @Test("each option replaces only its own part of the policy")
    func partialOverrides() throws {
        #expect(try RetryPolicy.restore.overriding(attempts: nil, strategy: "constant", interval: nil, jitter: nil)
            == RetryPolicy(attempts: 5, strategy: .constant(.milliseconds(500)), jitter: .seconds(1)))
        #expect(try RetryPolicy.save.overriding(attempts: nil, strategy: nil, interval: "1.5s", jitter: nil)
            == RetryPolicy(attempts: 10, strategy: .constant(.milliseconds(1500)), jitter: .seconds(1)))
        #expect(try RetryPolicy.save.overriding(attempts: 3, strategy: "exponential", interval: "250ms", jitter: "0")
            == RetryPolicy(attempts: 3, strategy: .exponential(initial: .milliseconds(250)), jitter: .zero))
        #expect(try RetryPolicy.save.overriding(attempts: 100, strategy: "exponential-subsecond", interval: nil, jitter: "2m")
            == RetryPolicy(attempts: 100, strategy: .exponentialSubsecond(initial: .seconds(5)), jitter: .seconds(120)))
    }

    @Test("bad intervals and jitters name the option", arguments: [
        (nil, "0s", RetryPolicyError.Option.interval,
         "retry interval must be more than zero, got \"0s\"; a zero wait retries a failing store immediately, use a wait such as 500ms"),
        (nil, "11m", .interval, "retry interval must be at most 10m, got \"11m\""),
        (nil, "5", .interval, "invalid retry interval: duration \"5\" has no unit; write 5ms, 5s or 5m"),
        ("1h", nil, .jitter,
         "invalid retry jitter: duration \"1h\" has an unknown unit \"h\"; use ms, s or m, such as 500ms, 5s, 1.5s or 2m"),
        ("601s", nil, .jitter, "retry jitter must be at most 10m, got \"601s\""),
    ] as [(String?, String?, RetryPolicyError.Option, String)])
    func invalidDurationOverrides(jitter: String?, interval: String?, option: RetryPolicyError.Option, message: String) {
        let error = #expect(throws: RetryPolicyError.self) {
            try RetryPolicy.save.overriding(attempts: nil, strategy: nil, interval: interval, jitter: jitter)
        }
        #expect(error == RetryPolicyError(option: option, message: message))
        #expect(error?.description == message)
    }
}
