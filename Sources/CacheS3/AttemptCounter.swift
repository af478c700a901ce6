import Synchronization

/// Counts the attempts of one retried call, for a call that must know whether it is a retry.
final class AttemptCounter: Sendable {
    private let count = Mutex(0)

    func next() -> Int {
        count.withLock { value in
            value += 1
            return value
        }
    }
}
