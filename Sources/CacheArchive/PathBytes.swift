/// File names on Linux are bytes, not text: a cache may hold names that are
/// not valid UTF-8, and turning them into `String` would silently rename
/// them. Paths are therefore handled as byte arrays and split into components.
typealias PathBytes = [UInt8]

enum PathBytesSyntax {
    static let slash = UInt8(ascii: "/")
    static let dot: PathBytes = [UInt8(ascii: ".")]
    static let dotDot: PathBytes = [UInt8(ascii: "."), UInt8(ascii: ".")]

    /// Splits on `/`, keeping empty components so callers decide what they mean.
    static func split(_ path: PathBytes) -> [PathBytes] {
        path.split(separator: slash, omittingEmptySubsequences: false).map(Array.init)
    }

    static func join(_ components: some Sequence<PathBytes>) -> PathBytes {
        Array(components.joined(separator: [slash]))
    }

    /// For messages only: invalid UTF-8 shows as replacement characters.
    static func display(_ path: PathBytes) -> String {
        String(decoding: path, as: UTF8.self)
    }

    static func bytes(ofCString pointer: UnsafePointer<CChar>) -> PathBytes {
        Array(UnsafeRawBufferPointer(start: pointer, count: strlenOf(pointer)))
    }

    private static func strlenOf(_ pointer: UnsafePointer<CChar>) -> Int {
        var count = 0
        while pointer[count] != 0 { count += 1 }
        return count
    }

    /// Calls `body` with a NUL-terminated copy, for libarchive's `const char *` setters.
    static func withCString<R>(_ path: PathBytes, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let terminated = path.map { CChar(bitPattern: $0) } + [0]
        return try terminated.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
