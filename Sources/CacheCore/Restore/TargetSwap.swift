import CSystemCalls
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Puts a fully extracted staging tree in place of a cache path so that, at every instant, the
/// path holds either the whole old tree or the whole new one. On Linux one `renameat2` with
/// RENAME_EXCHANGE swaps both names atomically; the old tree then sits under the staging name and
/// is deleted afterwards. A kill at any moment leaves only staging-named leftovers, which
/// `removeLeftovers` clears on the next run.
enum TargetSwap {
    /// Staging names start with this, beside their target, so leftovers are easy to find and never
    /// confused with user files.
    static let stagingPrefix = ".swift-cache-staging."

    static func stagingPath(for target: String, cacheID: String) -> String {
        let parent = target.parentPath
        let name = target.lastPathName
        return "\(parent)/\(stagingPrefix)\(getpid()).\(cacheID).\(UUID().uuidString.prefix(8)).\(name)"
    }

    /// What a swap did, so that it can be undone.
    enum Swapped {
        /// `staging` now holds the old tree.
        case exchanged
        /// There was no old tree; `staging` is gone.
        case moved
    }

    /// Swaps `staging` into `target`. Afterwards `staging` holds the old tree (or nothing).
    @discardableResult
    static func swap(staging: String, target: String) throws -> Swapped {
        var info = stat()
        let targetExists = lstat(target, &info) == 0
        if !targetExists {
            guard rename(staging, target) == 0 else { throw FileSystemError.current(path: target) }
            return .moved
        }
        if swift_cache_exchange_paths(staging, target) == 0 { return .exchanged }
        if errno != EINVAL && errno != ENOSYS && errno != ENOTSUP { throw FileSystemError.current(path: target) }
        // No atomic exchange here (old kernel, some network file systems): two renames, with the
        // old tree parked under a staging name so a kill between them loses nothing.
        let parked = stagingPath(for: target, cacheID: "old")
        guard rename(target, parked) == 0 else { throw FileSystemError.current(path: target) }
        guard rename(staging, target) == 0 else {
            let failure = FileSystemError.current(path: target)
            _ = rename(parked, target)
            throw failure
        }
        _ = rename(parked, staging)
        return .exchanged
    }

    /// Puts the old tree back after `swap` returned `swapped`: the new tree goes back to `staging`.
    static func undo(_ swapped: Swapped, staging: String, target: String) throws {
        switch swapped {
        case .exchanged: try swap(staging: staging, target: target)
        case .moved: guard rename(target, staging) == 0 else { throw FileSystemError.current(path: target) }
        }
    }

    /// Deletes a staging or parked tree, whatever it holds. Blocking: as slow as the tree is big.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        // Trees restored from caches can contain read-only directories; make them writable first.
        if (info.st_mode & S_IFMT) == S_IFDIR { makeWritable(directory: path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Gives the owner full access to a directory and, each before it is listed, to every directory
    /// under it: a read-only directory's entries cannot be removed, an unreadable one not listed.
    private static func makeWritable(directory path: String) {
        chmod(path, 0o700)
        var info = stat()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            let child = path + "/" + name
            if lstat(child, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { makeWritable(directory: child) }
        }
    }

    /// Clears what an earlier, killed run left beside this target. The staging name carries the
    /// pid of the process that made it, so a run never removes the staging tree of another job
    /// that is restoring the same shared path (`~/.npm`) right now. Blocking, like `remove`.
    static func removeLeftovers(beside target: String) {
        let parent = target.parentPath
        let name = target.lastPathName
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for entry in names where entry.hasPrefix(stagingPrefix) && entry.hasSuffix("." + name) {
            let fields = entry.dropFirst(stagingPrefix.count).split(separator: ".", maxSplits: 1)
            if let owner = fields.first.flatMap({ pid_t($0) }), owner != getpid(), kill(owner, 0) == 0 || errno == EPERM {
                continue
            }
            remove(parent + "/" + entry)
        }
    }

    /// Deletes trees on a thread of their own (`runBlocking`), one after the other.
    static func remove(_ paths: [String]) async {
        await runBlocking { for path in paths { remove(path) } }
    }
}
