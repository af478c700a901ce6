import CSystemCalls
import CacheRetry
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

/// The one way the file store writes: to a temp file in the same directory tree, fsync, rename over
/// the final name, fsync the directory. A crash at any moment leaves the old file or the new one,
/// never a torn one, and two jobs writing at once need no lock: the last rename wins whole.
enum DurableFile {
    static func store(_ data: Data, at path: String, temporaryDirectory: String) throws {
        let temp = try writeTemporary(data, temporaryDirectory: temporaryDirectory)
        do {
            try move(temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Like `store`, but only when nothing is at `path` yet: the new file is hard-linked into
    /// place, which fails with EEXIST instead of replacing. Returns false when `path` was taken.
    /// File systems without hard links fall back to `store` (the last writer wins whole).
    static func storeIfAbsent(_ data: Data, at path: String, temporaryDirectory: String) throws -> Bool {
        let temp = try writeTemporary(data, temporaryDirectory: temporaryDirectory)
        defer { unlink(temp) }
        let directory = path.parentPath
        try makeDirectories(directory)
        if link(temp, path) == 0 {
            syncDirectory(directory)
            return true
        }
        switch errno {
        case EEXIST:
            return false
        case EPERM, EOPNOTSUPP, EXDEV, EMLINK:
            try move(temp, to: path)
            return true
        default:
            throw FileSystemError.current(path: path)
        }
    }

    /// `data` in a new, fsynced file in `temporaryDirectory`; returns its path.
    private static func writeTemporary(_ data: Data, temporaryDirectory: String) throws -> String {
        let temp = temporaryDirectory + "/" + UUID().uuidString + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError.current(path: temp) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw FileSystemError.current(path: temp)
                    }
                    offset += written
                }
            }
            guard fsync(fd) == 0 else { throw FileSystemError.current(path: temp) }
        }
        ok = true
        return temp
    }

    /// fsync a finished file, then rename it into place and make the rename itself durable.
    static func commit(existing temp: String, to path: String) throws {
        let fd = open(temp, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError.current(path: temp) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError.current(path: temp) }
        try move(temp, to: path)
    }

    static func move(_ from: String, to path: String) throws {
        let directory = path.parentPath
        try makeDirectories(directory)
        guard rename(from, path) == 0 else { throw FileSystemError.current(path: path) }
        syncDirectory(directory)
    }

    /// `mkdir -p` with mode 0755 (less if the umask says so), never the 0777 a umask of 000 would
    /// leave: a store directory that any local user could write is a store anyone could poison.
    static func makeDirectories(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileSystemError(path: path, code: .ENOTDIR) }
            return
        }
        let parent = path.parentPath
        if !parent.isEmpty && parent != path { try makeDirectories(parent) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileSystemError.current(path: path, fallback: EACCES)
        }
    }

    /// Best effort: some file systems (and network mounts) refuse fsync on directories.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
