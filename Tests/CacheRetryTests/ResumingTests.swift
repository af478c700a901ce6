import CacheRetry
import Testing

/// `runResuming`: a call that resumes where it was cut off (a download) gets a fresh set of
/// attempts when it spent one while still getting further, and fails as `run` does when it did not.
@Suite("Retrier for calls that resume")
struct ResumingTests {
    let clock = VirtualClock()
    let log = LogLines()

    func retrier() -> Retrier {
        Retrier(policy: .restore, clock: clock, random: ScriptedRandom(0), log: log.sink)
    }

    /// A download that is cut off on each of its first `failures` calls, each time `step` bytes
    /// further than the last, then finishes.
    final class CutDownload: Sendable {
        let received = Locked<Int64>(0)
        let calls = Locked(0)
        let failures: Int
        let step: Int64

        init(failures: Int, step: Int64) {
            self.failures = failures
            self.step = step
        }

        func call() throws -> String {
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            received.withLock { $0 += step }
            if call <= failures { throw TransientError(attempt: call) }
            return "blob"
        }
    }

    @Test("cut off 12 times while getting further each time, it finishes: two fresh sets of 5 attempts, each said")
    func progressEarnsFreshAttempts() async throws {
        let download = CutDownload(failures: 12, step: 100)
        let value = try await retrier().runResuming("download blob", progress: { download.received.current }, freshAfter: 400) {
            try download.call()
        }
        #expect(value == "blob")
        #expect(download.calls.current == 13)
        let fresh = log.lines.current.filter { $0.contains("fresh attempts") }
        #expect(fresh == [
            "download blob failed: store timed out (attempt 5); it got 500 bytes further since its first attempt, so it starts again with 5 fresh attempts",
            "download blob failed: store timed out (attempt 10); it got 500 bytes further since its first attempt, so it starts again with 5 fresh attempts",
        ])
        // Within a set, the policy's waits; no wait before a fresh set.
        #expect(clock.sleeps.current.count == 12 - 2)
    }

    @Test("a set of attempts that got less than freshAfter further fails as run does")
    func tooLittleProgressFails() async throws {
        let download = CutDownload(failures: .max, step: 10)
        let error = await #expect(throws: TransientError.self) {
            try await retrier().runResuming("download blob", progress: { download.received.current }, freshAfter: 400) {
                try download.call()
            }
        }
        #expect(error == TransientError(attempt: 5))
        #expect(download.calls.current == 5)
        #expect(!log.lines.current.contains { $0.contains("fresh attempts") })
    }

    @Test("an error that cannot pass ends it at once, whatever the progress")
    func finalErrorEndsItAtOnce() async throws {
        let received = Locked<Int64>(0)
        let calls = Locked(0)
        await #expect(throws: FinalError.self) {
            try await retrier().runResuming("download blob", progress: { received.current }, freshAfter: 1) {
                calls.withLock { $0 += 1 }
                received.withLock { $0 += 1_000 }
                throw FinalError()
            }
        }
        #expect(calls.current == 1)
        #expect(log.lines.current.isEmpty)
    }
}
