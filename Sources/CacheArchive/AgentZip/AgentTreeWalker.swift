import CArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks one target of an agent archive, depth first with names sorted byte-wise (so the order
/// never depends on the file system), and hands each entry to the zip writer under its
/// `_i/` name. Symlinks are stored as links, never followed.
final class AgentTreeWalker {
    private let zip: ZipWriter
    private let symlinkPolicy: SymlinkPolicy
    /// The archive being written, so a target that contains it does not store it into itself.
    private let archiveIdentity: (dev: UInt64, ino: UInt64)
    private let isCancelled: @Sendable () -> Bool

    private(set) var files = 0
    private(set) var directories = 0
    private(set) var symlinks = 0
    private(set) var contentBytes: Int64 = 0
    private(set) var warnings: [String] = []

    init(zip: ZipWriter, symlinkPolicy: SymlinkPolicy, archiveIdentity: (dev: UInt64, ino: UInt64),
         isCancelled: @escaping @Sendable () -> Bool) {
        self.zip = zip
        self.symlinkPolicy = symlinkPolicy
        self.archiveIdentity = archiveIdentity
        self.isCancelled = isCancelled
    }

    func add(_ target: AgentArchiveTarget, namespace: String) throws(ArchiveError) {
        let path = AgentPath.absolute(AgentPath.components(target.absolutePath))
        var name = PathBytes(namespace.utf8)
        if !target.relativePath.isEmpty { name += [PathBytesSyntax.slash] + PathBytes(target.relativePath.utf8) }
        // The anchor's base itself (`~`, `.`) is what the target means, even when it is reached
        // through a symlink; any other target that is a link is stored as that link.
        try visit(path: path, name: name, location: [], followLink: target.relativePath.isEmpty)
    }

    private func visit(path: PathBytes, name: PathBytes, location: [PathBytes], followLink: Bool) throws(ArchiveError) {
        if isCancelled() { throw ArchiveError(.cancelled, "cancelled; the partial archive \(zip.path) is removed") }
        let shown = PathBytesSyntax.display(path)
        var info = stat()
        let status = PathBytesSyntax.withCString(path) { followLink ? stat($0, &info) : lstat($0, &info) }
        guard status == 0 else {
            throw ArchiveError(.io, "cannot read \(shown): \(POSIX.errorText(errno)); make sure nothing changes the cache paths while they are saved")
        }
        if UInt64(info.st_dev) == archiveIdentity.dev && UInt64(info.st_ino) == archiveIdentity.ino {
            warnings.append("skipped \(shown): it is the archive being written; keep the archive outside the cache paths")
            return
        }
        let mode = UInt32(info.st_mode)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            try zip.add(name: name + [PathBytesSyntax.slash], mode: mode, data: [], method: .store)
            directories += 1
            for child in try children(of: path) {
                try visit(path: path + [PathBytesSyntax.slash] + child, name: name + [PathBytesSyntax.slash] + child,
                          location: location + [child], followLink: false)
            }
        case S_IFREG:
            try addFile(path: path, name: name, mode: mode, size: Int64(info.st_size))
        case S_IFLNK:
            try addSymlink(path: path, name: name, mode: mode, location: location)
        default:
            warnings.append("skipped \(EntryType.describe(info.st_mode)) \(shown): only files, directories and symlinks are cached")
        }
    }

    private func addFile(path: PathBytes, name: PathBytes, mode: UInt32, size: Int64) throws(ArchiveError) {
        let shown = PathBytesSyntax.display(path)
        files += 1
        guard size > 0 else {
            try zip.add(name: name, mode: mode, data: [], method: .store)
            return
        }
        // O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO fails instead of
        // being followed or hanging.
        let fd = PathBytesSyntax.withCString(path) { open($0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            throw ArchiveError(.io, "cannot read \(shown): \(POSIX.errorText(errno)); make sure nothing changes the cache paths while they are saved")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveError(.io, "cannot read \(shown): it is no longer a regular file; make sure nothing changes the cache paths while they are saved")
        }
        let expected = Int64(info.st_size)
        let (stored, grew) = try zip.addZstdFile(name: name, mode: mode, file: fd, expectedSize: expected, shownPath: shown)
        contentBytes += stored
        if grew {
            warnings.append("\(shown) grew while it was archived; stored its first \(expected) bytes")
        } else if stored < expected {
            warnings.append("\(shown) shrank while it was archived; stored the \(stored) bytes it still had")
        }
    }

    private func addSymlink(path: PathBytes, name: PathBytes, mode: UInt32, location: [PathBytes]) throws(ArchiveError) {
        let shown = PathBytesSyntax.display(path)
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = PathBytesSyntax.withCString(path) { cPath in
            buffer.withUnsafeMutableBufferPointer { readlink(cPath, UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
        }
        guard length >= 0 else { throw ArchiveError(.io, "cannot read symlink \(shown): \(POSIX.errorText(errno))") }
        let target = Array(buffer.prefix(length))
        if symlinkPolicy == .inside {
            do {
                _ = try SymlinkTarget.checked(target, location: location[...], entry: "'\(shown)'")
            } catch {
                throw ArchiveError(.symlinkPolicy, "cannot save \(shown): \(error.message); drop 'symlinks: inside' to store links as they are, or leave this path out of the cache")
            }
        }
        try zip.add(name: name, mode: mode, data: target, method: .store)
        symlinks += 1
    }

    /// The names in a directory, sorted byte-wise.
    private func children(of path: PathBytes) throws(ArchiveError) -> [PathBytes] {
        guard let dir = PathBytesSyntax.withCString(path, { opendir($0) }) else {
            throw ArchiveError(.io, "cannot list \(PathBytesSyntax.display(path)): \(POSIX.errorText(errno))")
        }
        defer { closedir(dir) }
        var names: [PathBytes] = []
        while let item = readdir(dir) {
            let name: PathBytes = withUnsafeBytes(of: item.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name == PathBytesSyntax.dot || name == PathBytesSyntax.dotDot { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
