#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole regular file, but never more than the size limit plus one
/// byte: a hostile path (a huge file, `/dev/zero`, a FIFO) can neither make
/// us allocate without bound nor block us. Errors carry the path and the system's reason.
enum BoundedFileReader {
    static func contents(ofFile path: String, maxBytes: Int, source: String) throws(YAMLError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is read.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw failure(path: path, source: source, errno: errno)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure(path: path, source: source, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw YAMLError(source: source, mark: nil,
                            message: "'\(path)' is not a regular file (a FIFO, device or directory); point at a YAML file")
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)

        var bytes: [UInt8] = []
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while bytes.count <= maxBytes {
            let wanted = Swift.min(chunkSize, maxBytes + 1 - bytes.count)
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path: path, source: source, errno: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
        throw YAMLError(
            source: source, mark: nil,
            message: "the file '\(path)' is larger than the limit of \(maxBytes) bytes; is this the right file?"
        )
    }

    private static func failure(path: String, source: String, errno code: Int32) -> YAMLError {
        let reason = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return YAMLError(
            source: source, mark: nil,
            message: "cannot read the file '\(path)': \(reason); check that it exists and is readable"
        )
    }
}
