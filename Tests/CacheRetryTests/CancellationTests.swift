import CacheRetry
import Foundation
import Testing

/// A clock whose sleep never ends on its own: only a cancel wakes it. It
/// announces each sleep so the test knows when to cancel.
final class ParkedClock: RetryClock, @unchecked Sendable {
    let sleepsStarted: AsyncStream<Duration>
    private let announce: AsyncStream<Duration>.Continuation
    private let lock = NSLock()
    private var parked: CheckedContinuation<Void, any Error>?
    private var cancelled = false

    init() {
        (sleepsStarted, announce) = AsyncStream.makeStream()
    }

    func sleep(for duration: Duration) async throws {
        announce.yield(duration)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let alreadyCancelled = lock.withLock {
                    if !cancelled { parked = continuation }
                    return cancelled
                }
                if alreadyCancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let continuation = lock.withLock {
                cancelled = true
                defer { parked = nil }
                return parked
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

/// A clock that ignores cancellation but cancels the task while "sleeping",
/// as if SIGTERM arrived just as a careless clock returned.
struct CancelWhileSleepingClock: RetryClock {
    func sleep(for duration: Duration) async throws {
        withUnsafeCurrentTask { $0?.cancel() }
    }
}

@Suite("Retrier cancellation", .timeLimit(.minutes(1)))
struct CancellationTests {
    @Test("a cancel during a wait ends it at once with CancellationError and makes no further call")
    func cancelDuringWait() async throws {
        let clock = ParkedClock()
        let call = FlakyCall(failures: .max)
        let retrier = Retrier(policy: .save, clock: clock, random: ScriptedRandom(0), log: { _ in })
        let task = Task { try await retrier.run("upload blob") { try call() } }

        var sleeps = clock.sleepsStarted.makeAsyncIterator()
        #expect(await sleeps.next() == .seconds(5))
        task.cancel()

        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(call.calls.current == 1)
    }

    @Test("a clock that returns despite a cancel still starts no further call")
    func clockThatIgnoresCancellation() async throws {
        let call = FlakyCall(failures: .max)
        let retrier = Retrier(policy: .save, clock: CancelWhileSleepingClock(), random: ScriptedRandom(0), log: { _ in })
        await #expect(throws: CancellationError.self) {
            try await retrier.run("upload blob") { try call() }
        }
        #expect(call.calls.current == 1)
    }

    @Test("a failure while the task is cancelled is thrown as it is, without a wait")
    func failureAfterCancelIsNotRetried() async throws {
        let clock = VirtualClock()
        let calls = Locked(0)
        let retrier = Retrier(policy: .restore, clock: clock, random: ScriptedRandom(0), log: { _ in })
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await retrier.run("look up entry k") {
                calls.withLock { $0 += 1 }
                throw TransientError(attempt: 1)
            }
        }
        let error = await #expect(throws: TransientError.self) { try await task.value }
        #expect(error == TransientError(attempt: 1))
        #expect(calls.current == 1)
        #expect(clock.sleeps.current.isEmpty)
    }

    @Test("the system clock wakes at once when its task is cancelled")
    func systemClockWakesOnCancel() async throws {
        let task = Task { try await SystemRetryClock().sleep(for: .seconds(3_600)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
