/// How often and how patiently one store call is retried.
///
/// A policy is applied to each single call (look up, upload, commit, …), never
/// to a whole save or restore, so a retry never redoes work that succeeded.
public struct RetryPolicy: Sendable, Equatable {
    /// How many times a call runs at most, the first one included. Values
    /// below 1 run the call once: a call is never skipped.
    public var attempts: Int
    public var strategy: RetryStrategy
    /// The most that is added to each wait: a uniform `0 ..< jitter`, so that
    /// jobs that failed together do not retry together.
    public var jitter: Duration

    public init(attempts: Int, strategy: RetryStrategy, jitter: Duration) {
        self.attempts = attempts
        self.strategy = strategy
        self.jitter = jitter
    }

    /// For every call in `cache-restore`: a restore blocks the job from
    /// starting, so it gives up after about 4 s of waits (plus jitter) and
    /// the cache counts as a miss.
    public static let restore = RetryPolicy(
        attempts: 5, strategy: .exponentialSubsecond(initial: .milliseconds(500)), jitter: .seconds(1))

    /// For every call in `cache-save`: the work is done by then, so it rides
    /// out a store outage of most of a minute.
    public static let save = RetryPolicy(
        attempts: 10, strategy: .constant(.seconds(5)), jitter: .seconds(1))

    /// The longest wait any strategy produces before jitter is added, and the
    /// longest interval or jitter an override accepts. Doubling 100 times would
    /// otherwise ask for a wait longer than the universe is old.
    public static let maximumWait: Duration = .seconds(600)

    /// The wait before the next attempt after `n` failures (0-based: `n == 0`
    /// is the wait between the first and second attempt), with `unit` (in
    /// `0 ..< 1`) of the jitter added.
    ///
    /// Waits are whole milliseconds: the strategy's part is rounded to the
    /// nearest one, the jitter's part rounded down so it stays below `jitter`.
    public func wait(afterFailures n: Int, unit: Double) -> Duration {
        let cap = Self.maximumWait.milliseconds
        var base = strategy.milliseconds(afterFailures: Swift.max(0, n))
        if !base.isFinite || base > cap { base = cap }
        let fraction = unit.isFinite ? Swift.min(Swift.max(unit, 0), 1.0.nextDown) : 0
        let spread = Swift.max(0, jitter.milliseconds) * fraction
        return .milliseconds(Int64(base.rounded()) + Int64(spread.rounded(.down)))
    }
}
