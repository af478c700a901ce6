#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of buffers passed between two threads: the decompressing thread fills free
/// buffers and queues them full; the extracting thread takes full ones and gives them back. The
/// pool is bounded, so a fast producer waits instead of growing memory, and nothing is copied.
final class BlockQueue: @unchecked Sendable {
    struct Block {
        let pointer: UnsafeMutableRawPointer
        var count: Int
    }

    let blockSize: Int
    private var free: [UnsafeMutableRawPointer]
    private var full: [Block] = []
    private var all: [UnsafeMutableRawPointer]
    /// Set by the producer after its last block (or a failure); set by the consumer to stop it early.
    private var producerDone = false
    private var consumerGone = false
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()

    init(blocks: Int, blockSize: Int) {
        self.blockSize = blockSize
        all = (0..<blocks).map { _ in UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 64) }
        free = all
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
    }

    deinit {
        for pointer in all { pointer.deallocate() }
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    private func wait() { pthread_cond_wait(&changed, &mutex) }
    private func signal() { pthread_cond_broadcast(&changed) }

    // MARK: producer

    /// A free buffer to fill, or nil when the consumer has gone away.
    func takeFree() -> UnsafeMutableRawPointer? {
        locked {
            while free.isEmpty && !consumerGone { wait() }
            return consumerGone ? nil : free.removeLast()
        }
    }

    func putFull(_ block: Block) {
        locked {
            full.append(block)
            signal()
        }
    }

    /// Gives back a buffer that was taken but not filled.
    func returnUnused(_ pointer: UnsafeMutableRawPointer) {
        locked {
            free.append(pointer)
            signal()
        }
    }

    func finishProducing() {
        locked {
            producerDone = true
            signal()
        }
    }

    // MARK: consumer

    /// The next full block, or nil when the producer has finished and everything was taken.
    func takeFull() -> Block? {
        locked {
            while full.isEmpty && !producerDone { wait() }
            return full.isEmpty ? nil : full.removeFirst()
        }
    }

    func recycle(_ pointer: UnsafeMutableRawPointer) {
        locked {
            free.append(pointer)
            signal()
        }
    }

    /// The consumer stops early (an error, a cancellation): the producer's next wait returns nil.
    func abandon() {
        locked {
            consumerGone = true
            signal()
        }
    }

    /// Waits until the producer has finished (after `abandon` or the last block).
    func waitForProducer() {
        locked {
            while !producerDone { wait() }
        }
    }
}
