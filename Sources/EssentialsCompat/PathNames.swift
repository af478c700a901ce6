/// The parent and the last name of a slash-separated path, as `NSString`'s
/// `deletingLastPathComponent` and `lastPathComponent` give them.
///
/// FoundationEssentials (all the Linux release binary links, to keep ICU out) has no `NSString`.
extension StringProtocol {
    /// The path without its last component: `/a/b/` → `/a`, `/a` → `/`, `a` → ``.
    public var parentPath: String {
        let path = withoutTrailingSlashes
        guard path != "/", let slash = path.lastIndex(of: "/") else { return path == "/" ? "/" : "" }
        var parent = path[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// The last component: `/a/b/` → `b`, `b` → `b`, `/` → `/`.
    public var lastPathName: String {
        let path = withoutTrailingSlashes
        guard path != "/", let slash = path.lastIndex(of: "/") else { return String(path) }
        return String(path[path.index(after: slash)...])
    }

    /// An absolute path with `.`, `..` and repeated slashes resolved by its text alone, as Go's
    /// `filepath.Clean` does (the agent names its store roots that way): `/a//b/../c/.` → `/a/c`,
    /// `/..` → `/`. Links are not followed and `~` is not expanded. A relative path is returned as is.
    public var lexicallyCleaned: String {
        guard hasPrefix("/") else { return String(self) }
        var components: [String] = []
        for component in split(separator: "/") {
            if component == "." { continue }
            if component == ".." { _ = components.popLast(); continue }
            components.append(String(component))
        }
        return "/" + components.joined(separator: "/")
    }

    private var withoutTrailingSlashes: SubSequence {
        var path = self[...]
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return path
    }
}
