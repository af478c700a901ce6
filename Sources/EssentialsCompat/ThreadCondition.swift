#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock with a condition variable, for a thread that must wait for another outside Swift
/// concurrency (a reader blocked until a download delivers more bytes, a decompressing thread
/// waiting for a free buffer).
///
/// It stands in for Foundation's `NSCondition`, which FoundationEssentials does not have: using
/// that one would link full Foundation and ICU back into the Linux release binary. The pthread
/// objects live at fixed addresses (allocated once), as POSIX requires.
public final class ThreadCondition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Releases the lock until another thread signals, then holds it again. Call it in a loop
    /// that re-checks its condition: a wait may also end without a signal.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Wakes one waiting thread, if any.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiting thread: for waiters that wait for different things on one condition
    /// (a producer for room, a consumer for data), where waking one might wake the wrong one.
    public func broadcast() { pthread_cond_broadcast(condition) }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
