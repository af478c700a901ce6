import EssentialsCompat

/// A fixed set of buffers passed between two threads: a producer (the reading thread, or the
/// decompressing thread) fills free buffers and queues them full; its consumer (the decompressing
/// thread, or the extracting thread) takes full ones and gives them back. The pool is bounded, so
/// a fast producer waits instead of growing memory, and nothing is copied.
///
/// A producer may also queue bytes it was lent (a download's received pieces, see
/// `LendingArchiveInput`): they take no buffer of the pool, their lender bounds them, and the
/// consumer's `recycle` gives them back to it.
final class BlockQueue: @unchecked Sendable {
    struct Block {
        let pointer: UnsafeMutableRawPointer
        var count: Int
        /// Set for lent bytes: what `recycle` calls instead of freeing a buffer of the pool.
        var giveBack: (@Sendable () -> Void)?

        init(pointer: UnsafeMutableRawPointer, count: Int) {
            self.pointer = pointer
            self.count = count
        }

        init(lent: LentBytes) {
            pointer = UnsafeMutableRawPointer(mutating: lent.bytes.baseAddress!)
            count = lent.bytes.count
            giveBack = lent.giveBack
        }
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

    /// Queues a filled block; false (and the block recycled) when the consumer has gone away.
    @discardableResult
    func putFull(_ block: Block) -> Bool {
        let queued = locked { () -> Bool in
            guard !consumerGone else { return false }
            full.append(block)
            signal()
            return true
        }
        if !queued { recycle(block) }
        return queued
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

    /// Gives a taken block back: to the pool, or to its lender.
    func recycle(_ block: Block) {
        if let giveBack = block.giveBack { return giveBack() }
        locked {
            free.append(block.pointer)
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
