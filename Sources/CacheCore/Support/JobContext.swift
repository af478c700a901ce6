import CacheRetry

/// What a restore or a save runs against: the job, the store, the log and a retrier with the
/// binary's policy. Passing it whole keeps the clock and the random source injectable for tests.
public struct JobContext: Sendable {
    public let environment: JobEnvironment
    public let store: any CacheStore
    public let log: BuildkiteLog
    public let retrier: Retrier
    /// Records a store call that gave up on a passing fault, for post-command.
    public let health: StoreHealth

    public init(environment: JobEnvironment, store: any CacheStore, log: BuildkiteLog, retrier: Retrier,
                health: StoreHealth = StoreHealth()) {
        self.environment = environment
        self.store = store
        self.log = log
        self.retrier = retrier
        self.health = health
    }

    /// One whole store call, retried under the policy (see the rule on `CacheStore`). A call that
    /// gives up on a fault that should have passed is recorded in `health`, which is how
    /// pre-command tells post-command that the store was down.
    func call<T: Sendable>(_ what: String, _ body: @Sendable @escaping () async throws -> T) async throws -> T {
        try await health.call(what, retrier: retrier, body)
    }
}
