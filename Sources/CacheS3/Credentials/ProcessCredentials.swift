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
import Dispatch

/// A profile's `credential_process`: a command that prints the credentials as JSON (`Version` 1,
/// `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`). Run through `/bin/sh -c` as the
/// AWS CLI does; its standard error goes to ours, its output is never printed.
struct ProcessCredentials: CredentialProvider {
    let command: String
    let via: String

    func fetch() async throws -> S3Credentials {
        let what = "credential_process of \(via)"
        let (status, output) = try await Self.run(command)
        guard status == 0 else { throw S3CredentialsError(message: "\(what) exited with status \(status)") }
        return try TemporaryCredentialsDocument.credentials(from: output, source: what, what: what)
    }

    /// Runs on a thread of its own: waiting for a child must not hold a thread of the async pool.
    /// (A queue of its own runs on a new thread whenever the others are busy, unlike the pool.)
    static func run(_ command: String) async throws -> (Int32, [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "swift-cache.credential-process").async {
                continuation.resume(with: Result { try runAndWait(command) })
            }
        }
    }

    /// `/bin/sh -c command` through posix_spawn, with stdin from /dev/null and stdout into a pipe
    /// that is read to its end before the wait; returns the exit status and the output.
    private static func runAndWait(_ command: String) throws -> (Int32, [UInt8]) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw S3CredentialsError(message: "credential_process could not be started: pipe failed with errno \(errno)")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = SpawnFileActions()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        let spawned = spawnProgram("/bin/sh", arguments: ["/bin/sh", "-c", command], actions: &actions, attributes: nil)
        close(writeEnd)
        defer { close(readEnd) }
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error):
            throw S3CredentialsError(message: "credential_process could not be started: \(String(cString: strerror(error.code)))")
        }

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                output += buffer[..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // Like Process.terminationStatus: the exit code, or the signal that ended it.
        let signal = status & 0x7F
        return (signal == 0 ? (status >> 8) & 0xFF : signal, output)
    }
}
