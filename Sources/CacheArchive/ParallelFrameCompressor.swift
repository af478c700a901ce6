import CZstd
import Dispatch
import EssentialsCompat

/// zstd on several cores when libzstd cannot do it itself: Debian's static `libzstd.a` (which the
/// self-contained release binaries link) is built without threads and refuses worker threads, so
/// a save would compress on one core, twice as slow as `zstd -T0`.
///
/// The tar stream is cut into 2 MiB chunks, each compressed by a worker thread as a complete zstd
/// frame, and the frames are written in order. Concatenated frames are one valid zstd stream
/// (`zstd -dc`, libarchive and our own reader decode them as one), at a ratio within a fraction of
/// a percent of one frame.
///
/// Chunks are filled ahead of the oldest one still compressing (`lookahead`), because chunks take
/// very different times (random bytes compress ten times faster than text) and are written in
/// order: with no more chunks than workers, a worker that was done early sat idle until the
/// slowest chunk before it was written. On 2 cores that idling cost about a tenth of a save's wall
/// time (a 40,000-file tree: wall / CPU time 0.59 with one chunk per worker, 0.54 with four ahead).
///
/// Memory is fixed whatever the tree and the machine: at most `maximumWorkers` workers (the
/// caller, `ZstdStreamCompressor`, asks for no more), each with its own compression context
/// (1.3 MiB at level 3) and one spare buffer, and at most `workerCount + lookahead + 1` chunks
/// (about 21 MiB in all on 2 cores, 31 MiB on 4 or more). A compressed chunk's buffer and its
/// worker's spare trade places, so a frame that waits for its turn holds one buffer, and nothing
/// is copied; once every buffer exists, nothing is allocated.
final class ParallelFrameCompressor: @unchecked Sendable {
    static let chunkSize = 2 << 20
    /// More workers would add a context and two buffers each (about 5 MiB) for little: at level 3
    /// four of them compress faster than one thread reads small files and makes the tar stream.
    static let maximumWorkers = 4
    /// Chunks submitted beyond one per worker before the writing thread waits for the oldest.
    static let lookahead = 4
    /// Every buffer can hold a chunk or its frame: zstd's bound for incompressible input.
    static let bufferCapacity = ZSTD_compressBound(chunkSize)

    /// One chunk: its bytes until a worker compressed it, then its frame.
    private final class Job: @unchecked Sendable {
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: ParallelFrameCompressor.bufferCapacity, alignment: 64)
        var count = 0
        var failure: String?
        /// Guarded by the work queue's lock.
        var compressed = false

        deinit { buffer.deallocate() }
    }

    /// What the workers share with the writing thread. The workers hold this, not the compressor,
    /// so that dropping the compressor (a cancelled save) stops them without waiting for them.
    private final class WorkQueue: @unchecked Sendable {
        /// Guards everything below it and `Job.compressed`. Workers wait on it for chunks, the
        /// writing thread for its oldest chunk to be compressed.
        let condition = ThreadCondition()
        /// Submitted and not taken by a worker yet, oldest first.
        var waiting: [Job] = []
        var stopping = false
        /// Workers started and not ended yet (each ends once it sees `stopping`).
        var runningWorkers = 0
    }

    private let level: Int32
    let workerCount: Int
    private let queue = WorkQueue()
    private var workersStarted = false
    /// The chunk being filled; nil between a submitted chunk and the next input.
    private var filling: Job?
    /// Submitted, oldest first; written out in this order.
    private var inFlight: [Job] = []
    /// Chunks written out, ready to be filled again.
    private var spare: [Job] = []

    init(level: Int, workers: Int) {
        self.level = Int32(level)
        workerCount = Swift.max(1, workers)
    }

    deinit {
        // A worker ends after the chunk it is compressing; it owns what it uses.
        queue.condition.withLock {
            queue.stopping = true
            queue.condition.broadcast()
        }
    }

    /// The same contract as `ZstdStreamCompressor.compress`.
    func compress(_ input: UnsafeRawBufferPointer, end: Bool, isCancelled: () -> Bool,
                  emit: (UnsafeRawBufferPointer) -> Bool) -> String? {
        var offset = 0
        while offset < input.count {
            if isCancelled() { return ZstdStreamCompressor.cancelled }
            let job = filling ?? reusedOrNewJob()
            filling = job
            let count = Swift.min(input.count - offset, Self.chunkSize - job.count)
            (job.buffer + job.count).copyMemory(from: input.baseAddress! + offset, byteCount: count)
            job.count += count
            offset += count
            if job.count == Self.chunkSize {
                submit(job)
                while inFlight.count > workerCount + Self.lookahead {
                    switch writeOldest(emit) {
                    case .written: continue
                    case .stopped: return nil
                    case .failed(let problem): return problem
                    }
                }
            }
        }
        guard end else { return nil }
        // An empty stream is still one (empty) frame.
        if let job = filling {
            submit(job)
        } else if inFlight.isEmpty {
            submit(reusedOrNewJob())
        }
        while !inFlight.isEmpty {
            if isCancelled() { return ZstdStreamCompressor.cancelled }
            switch writeOldest(emit) {
            case .written: continue
            case .stopped: return nil
            case .failed(let problem): return problem
            }
        }
        return nil
    }

    private func reusedOrNewJob() -> Job {
        let job = spare.popLast() ?? Job()
        job.count = 0
        job.failure = nil
        return job
    }

    /// Hands a filled chunk to the workers (starting them on first use).
    private func submit(_ job: Job) {
        filling = nil
        queue.condition.withLock {
            if !workersStarted { startWorkers() }
            job.compressed = false
            queue.waiting.append(job)
            queue.condition.broadcast()
        }
        inFlight.append(job)
    }

    /// Call with the lock held.
    private func startWorkers() {
        workersStarted = true
        queue.runningWorkers = workerCount
        for index in 0 ..< workerCount {
            DispatchQueue(label: "swift-cache.compress.\(index)").async { [queue, level] in
                Self.work(queue, level: level)
            }
        }
    }

    private static func work(_ queue: WorkQueue, level: Int32) {
        let context = ZSTD_createCCtx()
        var spare = UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 64)
        defer {
            ZSTD_freeCCtx(context)
            spare.deallocate()
        }
        queue.condition.lock()
        while true {
            while queue.waiting.isEmpty && !queue.stopping { queue.condition.wait() }
            if queue.stopping { break }
            let job = queue.waiting.removeFirst()
            queue.condition.unlock()

            if let context {
                let written = ZSTD_compressCCtx(context, spare, bufferCapacity, job.buffer, job.count, level)
                if ZSTD_isError(written) != 0 {
                    job.failure = String(cString: ZSTD_getErrorName(written))
                } else {
                    swap(&job.buffer, &spare)
                    job.count = written
                }
            } else {
                job.failure = "libzstd could not allocate a compression context (out of memory?)"
            }

            queue.condition.lock()
            job.compressed = true
            queue.condition.broadcast()
        }
        queue.runningWorkers -= 1
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    private enum Written { case written, stopped, failed(String) }

    /// Waits for the oldest chunk and writes its frame. `stopped`: `emit` said stop (the caller
    /// keeps its own failure).
    private func writeOldest(_ emit: (UnsafeRawBufferPointer) -> Bool) -> Written {
        let job = inFlight.removeFirst()
        queue.condition.withLock {
            while !job.compressed { queue.condition.wait() }
        }
        if let failure = job.failure { return .failed(failure) }
        defer { spare.append(job) }
        return emit(UnsafeRawBufferPointer(start: job.buffer, count: job.count)) ? .written : .stopped
    }

    /// Chunks allocated so far (each worker has one buffer more): what the memory bound counts.
    var chunksAllocated: Int { inFlight.count + spare.count + (filling == nil ? 0 : 1) }

    /// For the tests: a wait for every worker to end, which can be called once the compressor is
    /// dropped.
    func workerEndWaiter() -> @Sendable () -> Void {
        { [queue] in
            queue.condition.withLock {
                while queue.runningWorkers > 0 { queue.condition.wait() }
            }
        }
    }
}
