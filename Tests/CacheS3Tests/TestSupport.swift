import CacheRetry
import Foundation
@testable import CacheS3

/// Retries without waiting: the tests check what is retried, not how long it waits.
struct NoWaitClock: RetryClock {
    func sleep(for duration: Duration) async throws { try Task.checkCancellation() }
}

extension Retrier {
    static func immediate(attempts: Int = 3) -> Retrier {
        Retrier(policy: RetryPolicy(attempts: attempts, strategy: .constant(.zero), jitter: .zero), clock: NoWaitClock()) { _ in }
    }
}

/// A scratch directory, removed when the value goes away.
final class ScratchDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/cache-s3-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A file of `size` pseudo-random bytes (not compressible, not repeating at part boundaries).
    func file(_ name: String, size: Int, seed: UInt64 = 1) throws -> (path: String, bytes: [UInt8]) {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let path = self.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String { SHA256Hex.of(bytes) }
