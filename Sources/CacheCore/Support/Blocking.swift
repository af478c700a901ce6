#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// Runs file-heavy synchronous work on a thread of its own, so it never holds one of the few
/// threads of Swift's cooperative pool (two, on a two-core agent) while another cache waits for a
/// network answer.
///
/// The rule: work whose time grows with the size of a tree or a file (archiving, extracting,
/// copying or fsyncing a blob, deleting a tree) goes through here; a single system call on one
/// name (a rename, an lstat, writing a small entry document) runs inline. The one exception is
/// `cache-save prune`, a command of its own with nothing else running to wait for the pool.
///
/// The work gets an `isCancelled` probe that turns true when the calling task is cancelled (the
/// job got SIGTERM), because a plain thread cannot see task cancellation: the archive code checks
/// it between entries and blocks and stops at once, cleaning up after itself.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T) async throws -> T {
    let cancelled = CancellationFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            // A queue of its own gets a new thread whenever the others are busy, unlike the pool.
            DispatchQueue(label: "swift-cache.blocking").async {
                continuation.resume(with: Result { try work(cancelled.isSet) })
            }
        }
    } onCancel: {
        cancelled.set()
    }
}

/// `runBlocking` for clean-up that cannot fail and must finish even when the job is cancelled
/// (deleting staging trees): the work never looks at cancellation.
func runBlocking(_ work: @escaping @Sendable () -> Void) async {
    _ = try? await runBlocking { (_: @Sendable () -> Bool) in work() }
}

/// A flag set once from any thread and read from the working thread.
final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    @Sendable func isSet() -> Bool { value.load(ordering: .relaxed) }
}
