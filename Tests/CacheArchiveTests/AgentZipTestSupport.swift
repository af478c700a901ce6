import Foundation
import Testing

@testable import CacheArchive

/// Helpers for the agent-format (zip) tests: the independent Python implementation in
/// Tests/support/agent_zip_fixture.py, trees to archive, and whole-tree comparisons.
enum AgentZipFixture {
    static let script: String = {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return tests.appendingPathComponent("support/agent_zip_fixture.py").path
    }()

    /// Whether python3 has the `zstandard` package the fixture needs (scripts/install-deps
    /// installs it, so CI always runs these tests).
    static let available: Bool = (try? shell("python3 -c 'import zstandard'")) != nil
    /// Skipped only on a developer machine without the package; under CI (`CI` or `BUILDKITE`
    /// set) the tests run and fail with python's ModuleNotFoundError instead.
    static let enabled: Bool = available || ProcessInfo.processInfo.environment["CI"] != nil
        || ProcessInfo.processInfo.environment["BUILDKITE"] != nil
    static let unavailableReason: Comment = "python3's zstandard package is missing: run scripts/install-deps (pip install zstandard) to run the agent zip interop tests"

    static func build(_ zip: String, targets: [AgentArchiveTarget]) throws {
        let specs = targets.map { quoted("\($0.anchor.rawValue):\($0.relativePath):\($0.absolutePath)") }
        try shell("python3 \(quoted(script)) build \(quoted(zip)) \(specs.joined(separator: " "))")
    }

    /// Extracts to OUT/home, OUT/cwd and OUT/root (one per anchor).
    static func extract(_ zip: String, into out: String) throws {
        try shell("python3 \(quoted(script)) extract \(quoted(zip)) \(quoted(out))")
    }

    struct Listed: Decodable {
        var name: String
        var method: Int
        var mode: Int
        var size: Int
        var date_time: [Int]
        var create_system: Int
        var extra: String
    }

    static func list(_ zip: String) throws -> [Listed] {
        try shell("python3 \(quoted(script)) list \(quoted(zip))").split(separator: "\n").map {
            try JSONDecoder().decode(Listed.self, from: Data($0.utf8))
        }
    }

    /// Writes a zip with Python's zipfile (method 93 registered by the fixture module), for
    /// archives our writer would never make. Helpers in scope: `add(name, data=b"",
    /// mode=0o100644, method=0)`, `manifest(text)` (call it first; `standard_manifest()` writes
    /// `{"version":2,"mappings":{"_0":"~"}}`). With `unseekable`, zipfile streams and writes
    /// data descriptors.
    static func hostile(_ zip: String, unseekable: Bool = false, _ body: String) throws {
        let support = URL(fileURLWithPath: script).deletingLastPathComponent().path
        let source = """
        import sys, zipfile
        sys.path.insert(0, \(pythonString(support)))
        import agent_zip_fixture as fixture
        class Stream:
            def __init__(self, f): self.f = f
            def write(self, b): return self.f.write(b)
            def flush(self): self.f.flush()
        raw = open(sys.argv[1], "wb")
        out = zipfile.ZipFile(Stream(raw) if \(unseekable ? "True" : "False") else raw, "w")
        def add(name, data=b"", mode=0o100644, method=0):
            info = zipfile.ZipInfo(name, date_time=fixture.FIXED_TIME)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = method
            out.writestr(info, data)
        def manifest(text):
            add(fixture.MANIFEST, text.encode(), method=zipfile.ZIP_DEFLATED)
        def standard_manifest():
            manifest('{"version":2,"mappings":{"_0":"~"}}')
        \(body)
        out.close()
        raw.close()
        """
        let scriptPath = zip + ".py"
        try source.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try shell("python3 \(quoted(scriptPath)) \(quoted(zip))")
    }

    private static func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

/// Every path below `root` with its type, permissions, link target and content digest, one
/// line each, sorted: two trees are the same when their descriptions are.
func treeDescription(_ root: String) throws -> [String] {
    let script = """
    cd \(quoted(root)) && find . -mindepth 1 -printf '%P|%y|%m|%l|' -exec sh -c '[ -f "$1" ] && [ ! -L "$1" ] && sha256sum < "$1" | cut -c1-16 || echo' _ {} \\;
    """
    return try shell(script).split(separator: "\n").map(String.init).sorted()
}

/// A tree with what a cache holds: nested directories, an empty one, files of several modes
/// (executable, private, read-only), an empty file, a multi-megabyte file that crosses the
/// readers' block size, a UTF-8 name, relative, absolute and dangling symlinks, a read-only
/// directory.
func makeSampleTree(_ root: String) throws {
    try makeDirectory(root)
    try makeDirectory(root + "/nested")
    try makeDirectory(root + "/nested/deeper", mode: 0o750)
    try makeDirectory(root + "/empty-dir")
    try writeFile(root + "/nested/deeper/tool", "#!/bin/sh\necho hi\n", mode: 0o755)
    try writeFile(root + "/nested/private", "secret-ish", mode: 0o600)
    try writeFile(root + "/readonly.txt", "read only", mode: 0o444)
    try writeFile(root + "/empty", "")
    try writeFile(root + "/café.txt", "unicode name")
    try writeFile(root + "/name with spaces", "spaces")
    // Partly random, so it compresses somewhat but not to nothing.
    var big = [UInt8](repeating: 0, count: (3 << 20) + 123)
    var generator = SystemRandomNumberGenerator()
    for index in big.indices {
        big[index] = index % 7 == 0 ? UInt8.random(in: 0...255, using: &generator) : UInt8(index % 251)
    }
    try writeFile(root + "/nested/big.bin", Data(big))
    try makeSymlink(root + "/relative-link", to: "nested/deeper/tool")
    try makeSymlink(root + "/absolute-link", to: "/usr/bin/env")
    try makeSymlink(root + "/dangling-link", to: "does/not/exist")
    try makeDirectory(root + "/locked")
    try writeFile(root + "/locked/inside", "in a read-only directory")
    guard chmod(root + "/locked", 0o555) == 0 else { throw TestFailure("chmod locked") }
}

/// Runs an agent-format write expected to fail and returns its error.
func agentWriteError(
    _ targets: [AgentArchiveTarget], to zip: String, symlinks: SymlinkPolicy = .anywhere,
    isCancelled: @escaping @Sendable () -> Bool = { false }
) -> ArchiveError? {
    do {
        _ = try AgentArchiveWriter.write(targets: targets, to: zip, symlinks: symlinks, isCancelled: isCancelled)
        return nil
    } catch {
        return error
    }
}

/// Runs an agent-format extraction expected to fail and returns its error.
func agentExtractionError(
    _ zip: String, bases: [AgentAnchor: String], _ destinations: [String: String],
    limits: ExtractionLimits = .default, symlinks: SymlinkPolicy = .anywhere
) -> ArchiveError? {
    do {
        _ = try AgentArchiveReader.extract(from: zip, anchorBases: bases, destinations: destinations, limits: limits,
                                           symlinks: symlinks, isCancelled: { false })
        return nil
    } catch {
        return error
    }
}
