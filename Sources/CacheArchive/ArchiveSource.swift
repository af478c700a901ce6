/// One cache path and the name it gets inside the archive.
///
/// A cache archive holds several paths of one cache (say `node_modules` and
/// `~/.npm`); each lives under its own top-level *member* name so that a
/// restore can send each member to its own staging path.
public struct ArchiveSource: Sendable, Hashable {
    /// Member name inside the archive: relative, `/`-separated, without `.`,
    /// `..` or empty components (for example `checkout/node_modules`).
    public var name: String
    /// Absolute path on disk: a directory, a regular file or a symlink.
    /// A symlink is stored as a link, never followed.
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}
