import CacheRetry
import Foundation
import Testing

@Suite("Retrier loop")
struct RetrierTests {
    let clock = VirtualClock()
    let log = LogLines()

    func retrier(_ policy: RetryPolicy, random: ScriptedRandom = ScriptedRandom(0)) -> Retrier {
        Retrier(policy: policy, clock: clock, random: random, log: log.sink)
    }

    @Test("a call that succeeds at once runs once, waits for nothing and logs nothing")
    func successAtOnce() async throws {
        let call = FlakyCall(failures: 0)
        let value = try await retrier(.restore).run("look up entry k") { try call() }
        #expect(value == "entry")
        #expect(call.calls.current == 1)
        #expect(clock.sleeps.current.isEmpty)
        #expect(log.lines.current.isEmpty)
    }

    @Test("a call that succeeds on its third attempt returns its value after exactly three calls")
    func successOnLaterAttempt() async throws {
        let call = FlakyCall(failures: 2, then: "blob")
        let value = try await retrier(.restore).run("download blob") { try call() }
        #expect(value == "blob")
        #expect(call.calls.current == 3)
        #expect(clock.sleeps.current == [.milliseconds(500), .milliseconds(737)])
    }

    @Test("when the attempts are spent the last error is thrown unchanged")
    func giveUpAfterAllAttempts() async throws {
        let call = FlakyCall(failures: .max)
        let error = await #expect(throws: TransientError.self) {
            try await retrier(.save).run("commit entry") { try call() }
        }
        #expect(error == TransientError(attempt: 10))
        #expect(call.calls.current == 10)
        #expect(clock.sleeps.current == Array(repeating: .seconds(5), count: 9))
    }

    @Test("an error that cannot pass stops after one call, without waiting or logging")
    func finalErrorStopsAtOnce() async throws {
        let calls = Locked(0)
        let error = await #expect(throws: FinalError.self) {
            try await retrier(.save).run("create entry") {
                calls.withLock { $0 += 1 }
                throw FinalError()
            }
        }
        #expect(error == FinalError())
        #expect(calls.current == 1)
        #expect(clock.sleeps.current.isEmpty)
        #expect(log.lines.current.isEmpty)
    }

    @Test("a custom classifier decides instead of the default one")
    func customClassifier() async throws {
        let calls = Locked(0)
        await #expect(throws: PlainError.self) {
            try await retrier(.restore).run("expire entry", isRetryable: { $0 is PlainError }) {
                calls.withLock { $0 += 1 }
                throw PlainError()
            }
        }
        #expect(calls.current == 5)

        let transient = FlakyCall(failures: .max)
        await #expect(throws: TransientError.self) {
            try await retrier(.restore).run("expire entry", isRetryable: { _ in false }) { try transient() }
        }
        #expect(transient.calls.current == 1)
    }

    @Test("a CancellationError from the call is never retried, whatever the classifier says")
    func cancellationErrorIsNeverRetried() async throws {
        let calls = Locked(0)
        await #expect(throws: CancellationError.self) {
            try await retrier(.restore).run("look up entry k", isRetryable: { _ in true }) {
                calls.withLock { $0 += 1 }
                throw CancellationError()
            }
        }
        #expect(calls.current == 1)
        #expect(clock.sleeps.current.isEmpty)
    }

    @Test("each attempt draws its jitter before the call, and a failure waits with that attempt's draw")
    func jitterIsDrawnBeforeEachCall() async throws {
        let random = ScriptedRandom(0.1, 0.2, 0.3)
        let call = FlakyCall(failures: 2)
        _ = try await retrier(.restore, random: random).run("look up entry k") { try call() }
        #expect(clock.sleeps.current == [.milliseconds(600), .milliseconds(937)])
        #expect(random.drawn.current == 3)
    }

    @Test("a policy of zero attempts still runs the call once")
    func nonPositiveAttemptsRunOnce() async throws {
        let policy = RetryPolicy(attempts: 0, strategy: .constant(.seconds(1)), jitter: .zero)
        let call = FlakyCall(failures: .max)
        await #expect(throws: TransientError.self) {
            try await retrier(policy).run("upload part 1") { try call() }
        }
        #expect(call.calls.current == 1)
    }

    @Test("one log line per retry, with the attempt about to run and its wait; none for the last attempt")
    func logLines() async throws {
        let call = FlakyCall(failures: .max)
        await #expect(throws: TransientError.self) {
            try await retrier(.restore, random: ScriptedRandom(0.25)).run("look up entry node_modules-linux-abc") {
                try call()
            }
        }
        #expect(log.lines.current == [
            "look up entry node_modules-linux-abc failed: store timed out (attempt 1); attempt 2/5, retrying in 750ms",
            "look up entry node_modules-linux-abc failed: store timed out (attempt 2); attempt 3/5, retrying in 987ms",
            "look up entry node_modules-linux-abc failed: store timed out (attempt 3); attempt 4/5, retrying in 1.3s",
            "look up entry node_modules-linux-abc failed: store timed out (attempt 4); attempt 5/5, retrying in 1.9s",
        ])
    }

    @Test("waits of seconds and minutes are logged in seconds and minutes")
    func logFormatsLongerWaits() async throws {
        let seconds = FlakyCall(failures: 1)
        _ = try await retrier(.save, random: ScriptedRandom(0.4)).run("upload blob") { try seconds() }
        let minutes = FlakyCall(failures: 1)
        let slow = RetryPolicy(attempts: 2, strategy: .constant(.seconds(125)), jitter: .zero)
        _ = try await retrier(slow).run("upload blob") { try minutes() }
        #expect(log.lines.current == [
            "upload blob failed: store timed out (attempt 1); attempt 2/10, retrying in 5.4s",
            "upload blob failed: store timed out (attempt 1); attempt 2/2, retrying in 2m 5s",
        ])
    }

    @Test("POSIX errors are logged by their reason and errno, not Foundation's boilerplate")
    func logDescribesPOSIXErrors() async throws {
        let calls = Locked(0)
        _ = try await retrier(.restore).run("download blob") {
            if calls.withLock({ $0 += 1; return $0 }) == 1 { throw POSIXError(.ECONNRESET) }
            return 1
        }
        let reason = String(cString: strerror(ECONNRESET))
        #expect(log.lines.current == [
            "download blob failed: \(reason) (errno \(ECONNRESET)); attempt 2/5, retrying in 500ms",
        ])
    }
}
