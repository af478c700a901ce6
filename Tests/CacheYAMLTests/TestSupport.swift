import CacheYAML
import Testing

/// Loads `text` as the fixture "test.yml" and requires a document.
func loadDocument(
    _ text: String, limits: YAMLLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) throws -> YAMLNode {
    try #require(try YAMLLoader.load(text, source: "test.yml", limits: limits), sourceLocation: sourceLocation)
}

/// Loads `text` and requires it to fail, returning the error to inspect.
func loadError(
    _ text: String, limits: YAMLLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) throws -> YAMLError {
    try #require(throws: YAMLError.self, sourceLocation: sourceLocation) {
        try YAMLLoader.load(text, source: "test.yml", limits: limits)
    }
}

/// Same, for raw bytes (which may be invalid UTF-8).
func loadError(
    bytes: [UInt8], limits: YAMLLimits = .default, sourceLocation: SourceLocation = #_sourceLocation
) throws -> YAMLError {
    try #require(throws: YAMLError.self, sourceLocation: sourceLocation) {
        try YAMLLoader.load(bytes: bytes, source: "test.yml", limits: limits)
    }
}

func mark(_ line: Int, _ column: Int) -> YAMLMark {
    YAMLMark(line: line, column: column)
}
