import CArchive
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the few system calls this module needs, so that the
/// archive code reads as archive logic rather than errno juggling.
enum POSIX {
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// `lstat` that never follows a final symlink; nil when nothing is there.
    static func lstatIfExists(_ path: String) throws(ArchiveError) -> stat? {
        var info = stat()
        if lstat(path, &info) == 0 { return info }
        let code = errno
        if code == ENOENT { return nil }
        throw ArchiveError(.io, "cannot inspect \(path): \(errorText(code))")
    }

    static func isDirectory(_ info: stat) -> Bool { (info.st_mode & S_IFMT) == S_IFDIR }

    static func realPath(_ path: String) throws(ArchiveError) -> String {
        guard let resolved = realpath(path, nil) else {
            let code = errno
            throw ArchiveError(.invalidRequest, "cannot resolve \(path): \(errorText(code)); make sure the directory exists")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes the whole buffer, retrying short writes and EINTR.
    /// Returns 0 on success, otherwise the errno.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    /// Reads up to `count` bytes, retrying EINTR. Returns -errno on failure.
    static func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let got = read(fd, buffer, count)
            if got < 0 && errno == EINTR { continue }
            return got < 0 ? -Int(errno) : got
        }
    }

    /// Runs `body` with this thread's character type set to UTF-8.
    ///
    /// pax headers hold names in UTF-8, and libarchive converts between them
    /// and the current locale, which in a Swift process is plain C: every
    /// non-ASCII name then fails to convert (a warning, and on writing a
    /// non-standard `hdrcharset` record). `uselocale` is per thread and
    /// restored afterwards, so concurrent work elsewhere is not affected.
    static func withUTF8Locale<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }

    /// Removes a tree that this module created, without following symlinks,
    /// and making read-only directories writable first (extracted Go module
    /// caches are full of 0555 directories). Best effort: used for cleanup
    /// after a failure, where the original error is the one worth reporting.
    static func removeTree(_ path: String) {
        removeTree(cPath: Array(path.utf8CString))
    }

    /// Works on raw NUL-terminated bytes because names inside a cache need
    /// not be valid UTF-8, and a repaired String would name another file.
    private static func removeTree(cPath: [CChar]) {
        var info = stat()
        guard lstat(cPath, &info) == 0 else { return }
        guard isDirectory(info) else {
            _ = unlink(cPath)
            return
        }
        _ = chmod(cPath, 0o700)
        var children: [[CChar]] = []
        if let dir = opendir(cPath) {
            while let item = readdir(dir) {
                let name: [CChar] = withUnsafeBytes(of: item.pointee.d_name) { raw in
                    let chars = raw.bindMemory(to: CChar.self)
                    return Array(chars.prefix(while: { $0 != 0 }))
                }
                if name == [46] || name == [46, 46] { continue }
                children.append(name)
            }
            closedir(dir)
        }
        let parent = cPath.dropLast()
        for name in children {
            removeTree(cPath: Array(parent) + [47] + name + [0])
        }
        _ = rmdir(cPath)
    }
}
