import Foundation

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
    static func run(_ command: String) async throws -> (Int32, [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let output = Pipe()
                process.standardOutput = output
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: S3CredentialsError(message: "credential_process could not be started: \(error)"))
                    return
                }
                let bytes = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, Array(bytes)))
            }
        }
    }
}
