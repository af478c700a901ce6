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
    /// (`classify(_:home:workingDirectory:)` does it).
    public var relativePath: String
    /// Where the target is on this machine (absolute).
    public var absolutePath: String

    public init(anchor: AgentAnchor, relativePath: String, absolutePath: String) {
        self.anchor = anchor
        self.relativePath = relativePath
        self.absolutePath = absolutePath
    }
}

extension AgentArchiveTarget {
    /// A configured cache path, classified as the agent classifies it: `~` and `~/x` (only a
    /// leading `~` alone) are below the home directory; any other relative path (`~user`
    /// included) is below the working directory; an absolute path is pinned below `/`, even
    /// when it lies under the home directory. `.`, empty and repeated separators are cleaned;
    /// a `..` component, and `/` itself, are refused.
    /// - Parameters:
    ///   - home, workingDirectory: absolute paths of the two bases on this machine.
    public static func classify(_ configured: String, home: String, workingDirectory: String) throws(ArchiveError) -> AgentArchiveTarget {
        let anchor: AgentAnchor
        let below: Substring
        let base: String
        if configured == "~" || configured.hasPrefix("~/") {
            (anchor, below, base) = (.home, configured.dropFirst(), home)
        } else if configured.hasPrefix("/") {
            (anchor, below, base) = (.root, configured[...], "/")
        } else {
            (anchor, below, base) = (.workingDirectory, configured[...], workingDirectory)
        }
        let parts = below.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !parts.contains("..") else {
            throw ArchiveError(.invalidRequest, "cache path '\(configured)' has a '..' component; name the directory without it (the agent's archive stores paths below their base)")
        }
        guard anchor != .root || !parts.isEmpty else {
            throw ArchiveError(.invalidRequest, "cannot cache the filesystem root '/'; name a directory below it")
        }
        let relative = parts.joined(separator: "/")
        let trimmedBase = base.hasSuffix("/") && base.count > 1 ? String(base.dropLast()) : base
        let absolute = relative.isEmpty ? trimmedBase : (trimmedBase == "/" ? "/" : trimmedBase + "/") + relative
        return AgentArchiveTarget(anchor: anchor, relativePath: relative, absolutePath: absolute)
    }
}
