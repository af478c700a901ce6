#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, but never more than the size limit plus one byte:
/// a hostile path (a huge file, `/dev/zero`, a FIFO) cannot make us
/// allocate without bound. Errors carry the path and the system's reason.
enum BoundedFileReader {
    static func contents(ofFile path: String, maxBytes: Int, source: String) throws(YAMLError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw failure(path: path, source: source, errno: errno)
        }
        defer { close(descriptor) }

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
