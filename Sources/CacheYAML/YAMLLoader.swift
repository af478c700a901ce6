/// Loads one YAML (or JSON) document into a tree of ``YAMLNode``s, each
/// with its source position, over the system libyaml.
///
/// Built for untrusted input: the size, nesting and node count (including
/// alias expansion) are bounded by ``YAMLLimits``, and every failure is a
/// ``YAMLError`` with a position rather than a crash.
public enum YAMLLoader {
    /// Loads `text`. Returns nil when it holds no document at all (empty,
    /// blank or only comments); a lone `---` is a document holding null.
    public static func load(
        _ text: String, source: String, limits: YAMLLimits = .default
    ) throws(YAMLError) -> YAMLNode? {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(YAMLError) in try load(buffer: bytes, source: source, limits: limits) }
        }
        return try result.get()
    }

    /// Loads UTF-8 `bytes` (a UTF-8 byte order mark is allowed).
    public static func load(
        bytes: [UInt8], source: String, limits: YAMLLimits = .default
    ) throws(YAMLError) -> YAMLNode? {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(YAMLError) in try load(buffer: buffer, source: source, limits: limits) }
        }
        return try result.get()
    }

    /// Loads the file at `path`. Errors name `source` (default: the path);
    /// an unreadable file is reported with the system's reason.
    public static func load(
        contentsOfFile path: String, source: String? = nil, limits: YAMLLimits = .default
    ) throws(YAMLError) -> YAMLNode? {
        let source = source ?? path
        let bytes = try BoundedFileReader.contents(ofFile: path, maxBytes: limits.maxBytes, source: source)
        return try load(bytes: bytes, source: source, limits: limits)
    }

    private static func load(
        buffer: UnsafeBufferPointer<UInt8>, source: String, limits: YAMLLimits
    ) throws(YAMLError) -> YAMLNode? {
        guard buffer.count <= limits.maxBytes else {
            throw YAMLError(
                source: source, mark: nil,
                message: "the document is \(buffer.count) bytes, more than the limit of \(limits.maxBytes) bytes; is this the right file?"
            )
        }
        // Drop a UTF-8 byte order mark ourselves: libyaml would count it as
        // a column on line 1, which no editor shows.
        let hasByteOrderMark = buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF
        let text = hasByteOrderMark ? UnsafeBufferPointer(rebasing: buffer[3...]) : buffer
        guard !text.isEmpty else { return nil }
        do {
            return try parseSingleDocument(text, limits: limits)
        } catch {
            throw error.error(in: source)
        }
    }

    /// Drives libyaml's events through a ``TreeBuilder``, allowing exactly
    /// one document: a second one is an error at its start, so text that
    /// was meant to be part of the configuration is never silently dropped.
    private static func parseSingleDocument(
        _ buffer: UnsafeBufferPointer<UInt8>, limits: YAMLLimits
    ) throws(YAMLProblem) -> YAMLNode? {
        var events = try LibYAMLEventStream(input: buffer)
        var builder = TreeBuilder(limits: limits)
        var sawDocument = false
        while true {
            let event = try events.next()
            switch event {
            case .streamStart, .documentEnd:
                continue
            case .streamEnd:
                return builder.root?.node
            case .documentStart(let mark):
                if sawDocument {
                    throw YAMLProblem(
                        mark: mark,
                        message: "a second YAML document starts here; the file must hold exactly one document (remove the extra '---' or move the rest to its own file)"
                    )
                }
                sawDocument = true
            default:
                try builder.handle(event)
            }
        }
    }
}
