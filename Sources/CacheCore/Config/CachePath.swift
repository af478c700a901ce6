import Foundation

/// A path from a cache definition resolved for this job. The archive records which of the three
/// roots a path was relative to, so that `~/.npm` saved under one home restores under another.
public struct CachePath: Sendable, Hashable {
    public enum Root: String, Sendable { case checkout, home, absolute }

    public let written: String
    public let root: Root
    /// Relative to the root (for `absolute`, the path without its leading `/`); normalised, no `..`.
    public let relative: String
    /// Where it lives on this agent.
    public let absolutePath: String

    /// The member name inside the archive: `checkout/node_modules`, `home/.npm`, `absolute/opt/x`.
    public var memberName: String { "\(root.rawValue)/\(relative)" }

    public init(_ written: String, checkout: String, home: String) throws(CachePathError) {
        self.written = written
        let base: String
        let rest: String
        if written == "~" || written.hasPrefix("~/") {
            root = .home
            base = home
            rest = String(written.dropFirst(written == "~" ? 1 : 2))
        } else if written.hasPrefix("/") {
            root = .absolute
            base = "/"
            rest = written
        } else {
            root = .checkout
            base = checkout
            rest = written
        }
        var components: [String] = []
        for part in rest.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !components.isEmpty else { throw CachePathError(path: written, reason: "it climbs above its \(root == .checkout ? "checkout" : root == .home ? "home" : "root")") }
                components.removeLast()
            default: components.append(String(part))
            }
        }
        guard !components.isEmpty else {
            throw CachePathError(path: written, reason: "it names a whole home, working or root directory")
        }
        relative = components.joined(separator: "/")
        absolutePath = (base.hasSuffix("/") ? base : base + "/") + relative
        for protected in [checkout, home, "/"] where !protected.isEmpty {
            let dir = protected.hasSuffix("/") ? protected : protected + "/"
            if dir.hasPrefix(absolutePath + "/") || absolutePath == protected {
                throw CachePathError(path: written, reason: "it is or contains \(protected); restoring would replace it")
            }
        }
    }

    /// A spelling that makes `./a`, `a/` and `a` compare equal, for duplicate checks before any
    /// checkout exists.
    static func normalizedForComparison(_ path: String) -> String {
        var prefix = ""
        var rest = Substring(path)
        if path == "~" || path.hasPrefix("~/") { prefix = "~/"; rest = rest.dropFirst(1) } else if path.hasPrefix("/") { prefix = "/" }
        var components: [Substring] = []
        for part in rest.split(separator: "/") where part != "." {
            if part == "..", let last = components.last, last != ".." { components.removeLast() } else { components.append(part) }
        }
        return prefix + components.joined(separator: "/")
    }

    static func isProtected(_ normal: String) -> Bool {
        normal.isEmpty || normal == "/" || normal == "~/" || normal.split(separator: "/").allSatisfy { $0 == ".." }
    }
}

public struct CachePathError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "path '\(path)' cannot be cached: \(reason)" }
}
