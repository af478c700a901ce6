import CZstd
import Dispatch

/// zstd on several cores when libzstd cannot do it itself: Debian's static `libzstd.a` (which the
/// self-contained release binaries link) is built without threads and refuses worker threads, so
/// a save would compress on one core, twice as slow as `zstd -T0`.
///
/// The tar stream is cut into chunks compressed at once, each as a complete zstd frame, and the
/// frames are written in order. Concatenated frames are one valid zstd stream (`zstd -dc`,
/// libarchive and our own reader decode them as one), at a ratio within a fraction of a percent
/// of one frame. Memory is fixed: one job (chunk, output buffer, compression context) per worker
/// plus one being filled, allocated once and reused, so no thread's allocator arena grows.
final class ParallelFrameCompressor: @unchecked Sendable {
    static let chunkSize = 2 << 20

    private final class Job: @unchecked Sendable {
        let input: UnsafeMutableRawPointer
        var inputCount = 0
        let output: UnsafeMutableRawPointer
        let outputCapacity: Int
        var outputCount = 0
        var failure: String?
        let done = DispatchSemaphore(value: 0)
        let context: OpaquePointer?

        init() {
            input = .allocate(byteCount: ParallelFrameCompressor.chunkSize, alignment: 64)
            outputCapacity = ZSTD_compressBound(ParallelFrameCompressor.chunkSize)
            output = .allocate(byteCount: outputCapacity, alignment: 64)
            context = ZSTD_createCCtx()
        }

        deinit {
            input.deallocate()
            output.deallocate()
            ZSTD_freeCCtx(context)
        }
    }

    private let level: Int32
    private let workers: Int
    private var filling: Job
    /// Submitted, oldest first; written out in this order.
    private var inFlight: [Job] = []
    /// Jobs written out, ready to be filled again.
    private var spare: [Job] = []

    init(level: Int, workers: Int) {
        self.level = Int32(level)
        self.workers = Swift.max(1, workers)
        filling = Job()
    }

    deinit {
        // A cancelled save leaves jobs running; they own their buffers and end on their own.
        for job in inFlight { job.done.wait() }
    }

    /// The same contract as `ZstdStreamCompressor.compress`.
    func compress(_ input: UnsafeRawBufferPointer, end: Bool, isCancelled: () -> Bool,
                  emit: (UnsafeRawBufferPointer) -> Bool) -> String? {
        var offset = 0
        while offset < input.count {
            if isCancelled() { return ZstdStreamCompressor.cancelled }
            let count = Swift.min(input.count - offset, Self.chunkSize - filling.inputCount)
            (filling.input + filling.inputCount).copyMemory(from: input.baseAddress! + offset, byteCount: count)
            filling.inputCount += count
            offset += count
            if filling.inputCount == Self.chunkSize {
                submit()
                // Keep at most one chunk per worker waiting to be written.
                while inFlight.count > workers {
                    switch writeOldest(emit) {
                    case .written: continue
                    case .stopped: return nil
                    case .failed(let problem): return problem
                    }
                }
            }
        }
        guard end else { return nil }
        if filling.inputCount > 0 || inFlight.isEmpty { submit() }
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

    private func submit() {
        let job = filling
        let level = self.level
        inFlight.append(job)
        filling = spare.popLast() ?? Job()
        filling.inputCount = 0
        DispatchQueue.global().async {
            if let context = job.context {
                let written = ZSTD_compressCCtx(context, job.output, job.outputCapacity, job.input, job.inputCount, level)
                if ZSTD_isError(written) != 0 {
                    job.failure = String(cString: ZSTD_getErrorName(written))
                } else {
                    job.outputCount = written
                }
            } else {
                job.failure = "libzstd could not allocate a compression context (out of memory?)"
            }
            job.done.signal()
        }
    }

    private enum Written { case written, stopped, failed(String) }

    /// Waits for the oldest job and writes its frame. `stopped`: `emit` said stop (the caller
    /// keeps its own failure).
    private func writeOldest(_ emit: (UnsafeRawBufferPointer) -> Bool) -> Written {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let failure = job.failure { return .failed(failure) }
        defer { spare.append(job) }
        return emit(UnsafeRawBufferPointer(start: job.output, count: job.outputCount)) ? .written : .stopped
    }
}
