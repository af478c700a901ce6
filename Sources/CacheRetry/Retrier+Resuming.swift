extension Retrier {
    /// Runs `body` as `run` does, for a call that resumes where it was cut off (a download that
    /// asks for the rest): when its attempts are spent while it still got `freshAfter` or more
    /// units further (`progress` counts them) since they began, it gets a fresh set of attempts,
    /// with a line saying so. A long transfer over a link that drops now and then is then failed by
    /// a link that stopped moving, not by how many times it dropped: a 2 GB download survives what
    /// a 100 MB one survives.
    ///
    /// - Throws: the last error from `body` once a set of attempts made less progress than
    ///   `freshAfter`, a failure `isRetryable` rejects, or `CancellationError`.
    public func runResuming<T: Sendable>(
        _ operation: String,
        progress: @Sendable () -> Int64,
        freshAfter: Int64,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        while true {
            let start = progress()
            do {
                return try await run(operation, body)
            } catch {
                let gained = progress() - start
                let cancelled = error is CancellationError || Task.isCancelled
                guard !cancelled, gained >= Swift.max(1, freshAfter), Self.isRetryable(error) else { throw error }
                log("\(operation) failed: \(Self.describe(error)); it got \(gained) bytes further since its first attempt, "
                    + "so it starts again with \(Swift.max(1, policy.attempts)) fresh attempts")
            }
        }
    }
}
