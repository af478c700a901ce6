import Foundation

/// Runs file-heavy synchronous work (archiving, extracting) on a thread of its own, so it never
/// holds one of the few threads of Swift's cooperative pool (two, on a two-core agent) while
/// another cache waits for a network answer.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}
