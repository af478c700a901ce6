import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Runs a helper program of the agent's (`buildkite-agent annotate`) so that it can neither fail
/// nor hold the job:
/// - its input comes from a file, not a pipe: a program that exits without reading cannot raise
///   SIGPIPE in us, and a large input cannot block us before the timeout is even armed;
/// - it runs in a process group of its own, and the timeout (and the end of its run) kills the
///   whole group, so a child it left behind cannot keep the job's log open;
/// - its stderr goes to a file we read back, not to the job's log pipe, for the same reason;
/// - we wait with `waitpid` on a thread of our own: no polling, no spinning core.
struct ChildProcess {
    /// The exit status (128 + the signal when a signal ended it), or nil when the timeout ended it.
    let status: Int32?
    /// The start of what it wrote to stderr, for a warning.
    let errorOutput: String

    static func run(_ executable: String, arguments: [String], input: String, timeout: Duration,
                    clock: any RetryClock) async throws -> ChildProcess {
        let directory = try TemporaryDirectory(prefix: "swift-cache-child")
        defer { directory.remove() }
        let inputPath = directory.path + "/input"
        let errorPath = directory.path + "/stderr"
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputPath))
        guard FileManager.default.createFile(atPath: errorPath, contents: nil) else {
            throw FileSystemError.current(path: errorPath)
        }

        let pid = try spawn(executable, arguments: [executable] + arguments, stdin: inputPath, stderr: errorPath)
        let timedOut = Atomic<Bool>(false)
        let timer = Task {
            try await clock.sleep(for: timeout)
            timedOut.store(true, ordering: .relaxed)
            kill(-pid, SIGKILL)
        }
        let raw = try await withTaskCancellationHandler {
            try await runBlocking { _ in waitForExit(pid) }
        } onCancel: {
            kill(-pid, SIGKILL)
        }
        timer.cancel()
        // Whatever it started and left running in its group ends with it.
        kill(-pid, SIGKILL)

        let errorOutput = start(ofFile: errorPath, count: 2000)
        if timedOut.load(ordering: .relaxed) { return ChildProcess(status: nil, errorOutput: errorOutput) }
        let signal = raw & 0x7F
        return ChildProcess(status: signal == 0 ? (raw >> 8) & 0xFF : 128 + signal, errorOutput: errorOutput)
    }

    /// posix_spawn in a new process group, with SIGPIPE, SIGTERM and SIGINT back at their default
    /// (we ignore them; a child would inherit that) and no signal blocked.
    private static func spawn(_ executable: String, arguments: [String], stdin: String, stderr: String) throws -> pid_t {
        #if canImport(Darwin)
        var attributes: posix_spawnattr_t?
        var actions: posix_spawn_file_actions_t?
        #else
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_APPEND, 0)

        switch spawnProgram(executable, arguments: arguments, actions: &actions, attributes: &attributes) {
        case .success(let pid): return pid
        case .failure(let error): throw FileSystemError(path: executable, code: POSIXErrorCode(rawValue: error.code) ?? .EIO)
        }
    }

    /// The first `count` bytes of a file as text, read without the rest: a helper gone wrong may
    /// have written gigabytes to its stderr before the timeout ended it.
    private static func start(ofFile path: String, count: Int) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        return String(decoding: bytes.prefix(filled), as: UTF8.self)
    }

    /// The raw wait status of `pid`, retried across EINTR.
    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }
}

/// A private directory for one child's files, removed when done.
private struct TemporaryDirectory {
    let path: String

    init(prefix: String) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FileSystemError.current(path: base)
        }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
