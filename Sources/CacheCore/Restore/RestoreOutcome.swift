/// What happened to one cache in pre-command. `exact` and `fallback` carry the key that matched.
public enum RestoreOutcome: Sendable, Equatable {
    case exact(matchedKey: String)
    case fallback(matchedKey: String)
    /// Nothing usable: no entry, a missing or corrupt blob, or a store that kept failing.
    case miss(reason: String)
    /// A failure the job should know about (only when `fail-on-error` is set does it fail the job).
    case failed(reason: String)

    /// The value exported as `SWIFT_CACHE_HIT_<ID>`.
    public var hitValue: String {
        switch self {
        case .exact: "exact"
        case .fallback: "fallback"
        case .miss, .failed: "miss"
        }
    }

    public var matchedKey: String? {
        switch self {
        case .exact(let key), .fallback(let key): key
        case .miss, .failed: nil
        }
    }
}

/// One cache's restore, for the report.
public struct RestoreResult: Sendable {
    public let cache: ResolvedCache
    public let outcome: RestoreOutcome
    public var archiveBytes: Int64 = 0
    public var contentBytes: Int64 = 0
    public var files: Int = 0
    public var duration: Duration = .zero
}
