import Foundation
import Testing

@testable import CacheArchive

/// A real directory under /tmp, removed (read-only parts included) when the
/// test ends.
final class TempDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "cache-archive-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: \(errno)") }
        path = String(cString: made)
    }

    deinit {
        POSIX.removeTree(path)
    }

    func sub(_ relative: String) -> String { path + "/" + relative }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a shell command; throws with its stderr when it exits non-zero.
@discardableResult
func shell(_ command: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("`\(command)` exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

/// Single-quotes a path for the shell.
func quoted(_ path: String) -> String {
    "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

// MARK: - Building trees

func makeDirectory(_ path: String, mode: mode_t = 0o755) throws {
    guard mkdir(path, mode) == 0, chmod(path, mode) == 0 else { throw TestFailure("mkdir \(path): \(errno)") }
}

func writeFile(_ path: String, _ contents: String, mode: mode_t = 0o644, mtime: Int? = nil) throws {
    try writeFile(path, Data(contents.utf8), mode: mode, mtime: mtime)
}

func writeFile(_ path: String, _ contents: Data, mode: mode_t = 0o644, mtime: Int? = nil) throws {
    guard FileManager.default.createFile(atPath: path, contents: contents) else { throw TestFailure("cannot create \(path)") }
    guard chmod(path, mode) == 0 else { throw TestFailure("chmod \(path): \(errno)") }
    if let mtime { try setMtime(path, mtime) }
}

func setMtime(_ path: String, _ seconds: Int) throws {
    var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
    guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw TestFailure("utimensat \(path): \(errno)") }
}

func makeSymlink(_ path: String, to target: String) throws {
    guard symlink(target, path) == 0 else { throw TestFailure("symlink \(path): \(errno)") }
}

// MARK: - Inspecting results

func fileInfo(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

func exists(_ path: String) -> Bool { fileInfo(path) != nil }

func permissions(_ path: String) -> mode_t? { fileInfo(path).map { $0.st_mode & 0o7777 } }

func fileType(_ path: String) -> mode_t? { fileInfo(path).map { $0.st_mode & S_IFMT } }

func mtime(_ path: String) -> Int? { fileInfo(path).map { Int($0.st_mtim.tv_sec) } }

func contents(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func linkTarget(_ path: String) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: path)
}

/// Every path below `root` (relative, sorted), to compare whole trees.
func listing(_ root: String) throws -> [String] {
    try shell("cd \(quoted(root)) && find . -mindepth 1 | sort").split(separator: "\n").map(String.init)
}

// MARK: - Hostile archives

/// Builds a tar.zst with Python's tarfile (an implementation independent of
/// libarchive) from a small script that adds members to `tar`.
/// Helpers in scope: `entry(name, type, data=b"", link="", mode=0o644)`.
func pythonArchive(at path: String, _ body: String) throws {
    let script = """
    import io, sys, tarfile
    tar = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
    def entry(name, type=tarfile.REGTYPE, data=b"", link="", mode=0o644):
        info = tarfile.TarInfo(name)
        info.type = type
        info.mode = mode
        info.linkname = link
        info.size = len(data) if type == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if type == tarfile.REGTYPE else None)
    \(body)
    tar.close()
    """
    let scriptPath = path + ".py"
    try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    try shell("python3 \(quoted(scriptPath)) \(quoted(path + ".tar")) && zstd -q --rm -f \(quoted(path + ".tar")) -o \(quoted(path))")
}

/// Runs an extraction expected to fail and returns its error.
func extractionError(
    _ archive: String, _ destinations: [String: String], limits: ExtractionLimits = .default,
    symlinks: SymlinkPolicy = .anywhere
) -> ArchiveError? {
    do {
        _ = try ArchiveExtractor.extract(from: FileArchiveInput(path: archive), destinations: destinations, limits: limits, symlinks: symlinks)
        return nil
    } catch {
        return error
    }
}
