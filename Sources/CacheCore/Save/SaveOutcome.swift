/// What happened to one cache in post-command.
public enum SaveOutcome: Sendable, Equatable {
    case saved
    /// An entry for the exact key exists already: a save costs one cheap call.
    case alreadyCached
    /// Another job committed the same key while this one archived: its entry is kept, ours dropped.
    case alreadySavedByAnotherJob
    /// Nothing to save (no path exists), with why.
    case skipped(reason: String)
    case failed(reason: String)
}

public struct SaveResult: Sendable {
    public let cache: ResolvedCache
    public let outcome: SaveOutcome
    public var archiveBytes: Int64 = 0
    public var contentBytes: Int64 = 0
    public var files: Int = 0
    public var duration: Duration = .zero
}
