#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

extension CachePath {
    /// Why restoring or saving this path would leave its root, or nil when it stays inside.
    ///
    /// A checkout is written by whoever wrote the branch: a fork's pull request can commit
    /// `vendor -> /some/dir`, and a cache path `vendor/bundle` would then restore (replace) or
    /// save `/some/dir/bundle`. So every parent of a checkout or home path must resolve inside that
    /// checkout or home; a link in the parents that stays inside is fine. Absolute paths were
    /// written by the pipeline's author as they are and are not checked.
    public func escapingParent(checkout: String, home: String) -> String? {
        let base: String
        switch root {
        case .checkout: base = checkout
        case .home: base = home
        case .absolute: return nil
        }
        guard let realBase = Self.realPath(base) else { return nil }
        var current = base.hasSuffix("/") ? String(base.dropLast()) : base
        for component in relative.split(separator: "/").dropLast() {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else { return nil }
            guard (info.st_mode & S_IFMT) == S_IFLNK else { continue }
            guard let resolved = Self.realPath(current) else {
                return "'\(current)' is a symbolic link that does not resolve"
            }
            if resolved != realBase && !resolved.hasPrefix(realBase + "/") {
                return "'\(current)' is a symbolic link to '\(resolved)', outside the \(root == .checkout ? "checkout" : "home directory")"
            }
        }
        return nil
    }

    /// The path with every link resolved, or nil when it does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
