import EssentialsCompat

/// A fixed set of buffers passed between two threads: a producer (the reading thread, or the
/// decompressing thread) fills free buffers and queues them full; its consumer (the decompressing
/// thread, or the extracting thread) takes full ones and gives them back. The pool is bounded, so
/// a fast producer waits instead of growing memory, and nothing is copied.
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
    /// Guards everything above. Producer and consumer wait on it for different things, so every
    /// change wakes them all.
    private let changed = ThreadCondition()

    init(blocks: Int, blockSize: Int) {
        self.blockSize = blockSize
        all = (0..<blocks).map { _ in UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 64) }
        free = all
    }

    deinit {
        for pointer in all { pointer.deallocate() }
    }

    private func locked<T>(_ body: () -> T) -> T { changed.withLock(body) }
    private func wait() { changed.wait() }
    private func signal() { changed.broadcast() }

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
