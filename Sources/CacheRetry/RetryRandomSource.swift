/// Where the jitter comes from, injected so that tests get exact waits.
///
/// Jitter spreads the retries of many jobs that failed at the same moment
/// (one store outage hits a whole fleet), so that they do not all come back
/// at the same instant and knock the store over again.
public protocol RetryRandomSource: Sendable {
    /// A number uniformly distributed in `0 ..< 1`.
    func nextUnit() -> Double
}

/// The system's random number generator.
public struct SystemRandomSource: RetryRandomSource {
    public init() {}

    public func nextUnit() -> Double {
        Double.random(in: 0 ..< 1)
    }
}
