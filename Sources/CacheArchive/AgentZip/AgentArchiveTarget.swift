/// Where a configured target is anchored in the agent's v2 manifest.
///
/// The agent stores each cache path relative to one of three bases, so that an archive of
/// `~/.npm` saved under one home directory restores under another.
public enum AgentAnchor: String, Sendable, Hashable, CaseIterable {
    /// `~` or `~/x`: below the home directory.
    case home = "~"
    /// A relative path: below the working directory (the checkout).
    case workingDirectory = "."
    /// An absolute path, even one under the home directory: pinned below `/`.
    case root = "/"
}

/// One configured cache path of an agent-format archive.
public struct AgentArchiveTarget: Sendable, Hashable {
    public var anchor: AgentAnchor
    /// The path below the anchor's base, `/`-separated, without `.`, `..` or empty components;
    /// `""` when the target is the base itself. Classified as the agent does: `~` and `~/x`
    /// are `.home`, a relative path is `.workingDirectory`, an absolute path is `.root`
    /// (CacheCore's `CachePath` does it, and maps onto this type).
    public var relativePath: String
    /// Where the target is on this machine (absolute).
    public var absolutePath: String

    public init(anchor: AgentAnchor, relativePath: String, absolutePath: String) {
        self.anchor = anchor
        self.relativePath = relativePath
        self.absolutePath = absolutePath
    }
}
