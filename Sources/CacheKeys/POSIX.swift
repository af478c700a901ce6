#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Musl)
@preconcurrency import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few system calls the checksum walk needs, in one place so the rest of the target reads as
/// plain Swift. We use POSIX directly rather than `FileManager` because the walk needs `d_type`
/// (to avoid a `stat` per entry in big trees such as `node_modules`) and must tell a symlink from
/// what it points to, which `FileManager`'s enumerator blurs.
enum POSIX {
    enum FileKind: Equatable {
        case regular, directory, symlink, other, missing
    }

    /// What is at `path` without following a final symlink.
    static func kindWithoutFollowing(_ path: String) -> FileKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        return kind(of: info.st_mode)
    }

    /// What `path` resolves to after following symlinks; a dangling link is `.missing`.
    static func kindFollowing(_ path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return kind(of: info.st_mode)
    }

    private static func kind(of mode: mode_t) -> FileKind {
        switch mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    /// The entries of a directory (without `.` and `..`), each with the type the directory itself
    /// reports; `nil` type means the file system did not say and the caller must `lstat`.
    static func entries(of directory: String) -> Result<[(name: String, kind: FileKind?)], Errno> {
        guard let handle = opendir(directory) else { return .failure(Errno.current) }
        defer { closedir(handle) }
        var result: [(name: String, kind: FileKind?)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let kind: FileKind?
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .regular
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN): kind = nil
            default: kind = .other
            }
            result.append((name, kind))
        }
        return .success(result)
    }

    struct Errno: Error {
        let code: Int32
        /// Said instead of the system's text when we refused the file ourselves.
        var reason: String? = nil
        static var current: Errno { Errno(code: errno) }
        var isNotFound: Bool { code == ENOENT || code == ENOTDIR }
        var text: String { reason ?? String(cString: strerror(code)) }
    }

    /// Reads a file in fixed-size chunks so that hashing a multi-gigabyte file costs one buffer of
    /// memory, never the whole file.
    static func readChunks(of path: String, chunkSize: Int = 256 * 1024,
                           _ body: (UnsafeRawBufferPointer) -> Void) -> Errno? {
        // O_NONBLOCK: a FIFO named as a checksum input must not wait for a writer; only a regular
        // file is read.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return Errno.current }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return Errno.current }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return Errno(code: EINVAL, reason: "not a regular file (a FIFO, device or directory)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunkSize)
            if count == 0 { return nil }
            if count < 0 {
                if errno == EINTR { continue }
                return Errno.current
            }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}
