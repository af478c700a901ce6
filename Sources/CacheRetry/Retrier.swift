/// Runs one store call again when it fails in a way that can pass.
///
/// Wrap each single call (look up an entry, upload a blob, commit), never a
/// whole save or restore: a retry must not redo work that already succeeded.
///
/// ```swift
/// let retrier = Retrier(policy: .restore) { logger.warning("\($0)") }
/// let entry = try await retrier.run("look up entry \(key)") { try await store.entry(for: key) }
/// ```
public struct Retrier: Sendable {
    public let policy: RetryPolicy
    private let clock: any RetryClock
    private let random: any RetryRandomSource
    let log: @Sendable (String) -> Void

    /// - Parameter log: receives one line per retry, such as
    ///   `look up entry k failed: Connection reset by peer; attempt 2/5, retrying in 737ms`.
    ///   The final failure is not logged here: it is thrown, and the caller
    ///   reports it with what it means (a miss, a failed save).
    public init(
        policy: RetryPolicy,
        clock: any RetryClock = SystemRetryClock(),
        random: any RetryRandomSource = SystemRandomSource(),
        log: @escaping @Sendable (String) -> Void
    ) {
        self.policy = policy
        self.clock = clock
        self.random = random
        self.log = log
    }

    /// Runs `body` until it succeeds, fails in a way `isRetryable` rejects, or
    /// the policy's attempts are spent.
    ///
    /// `body` always runs at least once. A cancellation is never retried: a
    /// failure while the task is cancelled is rethrown at once, and a cancel
    /// during a wait ends the wait and throws `CancellationError` without
    /// another call.
    ///
    /// - Parameters:
    ///   - operation: what is being done, for the log ("look up entry node_modules-linux-…").
    ///   - isRetryable: whether an error can pass; `CancellationError` is never
    ///     retried, whatever it says.
    /// - Returns: the first successful result.
    /// - Throws: the last error from `body`, unchanged, or `CancellationError`.
    public func run<T: Sendable>(
        _ operation: String,
        isRetryable: @Sendable (any Error) -> Bool = Retrier.isRetryable,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        let attempts = Swift.max(1, policy.attempts)
        var failures = 0
        while true {
            // Drawn before the call, so every attempt consumes exactly one
            // random number whatever happens: tests can predict each wait.
            let wait = policy.wait(afterFailures: failures, unit: random.nextUnit())
            do {
                return try await body()
            } catch {
                failures += 1
                let cancelled = error is CancellationError || Task.isCancelled
                guard !cancelled, failures < attempts, isRetryable(error) else { throw error }
                log("\(operation) failed: \(Self.describe(error)); "
                    + "attempt \(failures + 1)/\(attempts), retrying in \(wait.retryDescription)")
                try await clock.sleep(for: wait)
                // A clock that ignored the cancel must still not start a call.
                try Task.checkCancellation()
            }
        }
    }
}
