import CacheRetry
import Synchronization

/// Whether a store call gave up on a fault that should have passed (a refused connection, a
/// timeout, 5xx after every retry). pre-command records it so post-command, told through the state
/// file, tries each call once instead of waiting minutes on a store that was already down.
public final class StoreHealth: Sendable {
    private let reason = Mutex<String?>(nil)

    public init() {}

    /// The first call that gave up, in words; nil while the store answered.
    public var unreachable: String? { reason.withLock { $0 } }

    func record(_ error: any Error, during operation: String) {
        guard !(error is CancellationError), Retrier.isRetryable(error) else { return }
        reason.withLock { current in
            if current == nil { current = "\(operation) failed: \(Retrier.describe(error))" }
        }
    }
}

extension StoreHealth {
    /// One store call, retried on its own under `retrier`'s policy; a call that gives up on a
    /// passing fault is recorded.
    func call<T: Sendable>(_ what: String, retrier: Retrier, _ body: @Sendable @escaping () async throws -> T) async throws -> T {
        do {
            return try await retrier.run(what, body)
        } catch {
            record(error, during: what)
            throw error
        }
    }
}
