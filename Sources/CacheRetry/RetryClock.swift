/// The only way the retrier waits between attempts.
///
/// It is a protocol, not a `Clock`, so that tests can record every wait the
/// retrier asks for and return at once: no test of the retry logic ever sleeps
/// for real, and a test of cancellation can park a wait until the task is
/// cancelled instead of racing a timer.
public protocol RetryClock: Sendable {
    /// Waits for `duration`, or less if the task is cancelled.
    ///
    /// - Throws: `CancellationError` as soon as the calling task is cancelled,
    ///   so that a cancelled job (SIGTERM) never sits out a retry wait.
    func sleep(for duration: Duration) async throws
}

/// The real clock: `Task.sleep`, which already wakes at once on cancellation.
public struct SystemRetryClock: RetryClock {
    public init() {}

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
