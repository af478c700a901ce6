import CZstd

/// zstd compression of the tar stream, done by us rather than by libarchive's
/// zstd filter, because libarchive (3.6) cannot set the multi-threaded job
/// size: zstd's default for level 3 is several MiB per job, and with a few
/// jobs of input and output in flight per worker a save held ~67 MiB of
/// compression buffers. Small jobs keep that to a few MiB at the same speed.
///
/// The output is what libarchive wrote before: one zstd frame (without
/// zstd's optional content checksum, as libarchive wrote it; the whole file
/// is covered by SHA-256 anyway) holding the tar stream. Where libzstd has
/// no threads, `ParallelFrameCompressor` writes one frame per 2 MiB chunk.
final class ZstdStreamCompressor {
    /// Job size for worker threads: zstd's minimum is 512 KiB; 1 MiB jobs
    /// keep two workers busy with little memory and no measurable loss of ratio.
    static let jobSize: Int32 = 1 << 20
    static let outputCapacity = 1 << 20

    private let context: OpaquePointer
    /// Set when libzstd refused worker threads (a build without them): chunks become frames of
    /// their own, compressed on several cores by us.
    private var parallel: ParallelFrameCompressor?
    /// The workers of `parallel`, for the tests.
    var parallelWorkers: Int? { parallel?.workerCount }
    private let output = UnsafeMutableRawPointer.allocate(byteCount: ZstdStreamCompressor.outputCapacity, alignment: 64)

    /// - Parameters:
    ///   - level: zstd level, already checked to be in 1...22.
    ///   - threads: worker threads; 0 compresses on the calling thread. At most
    ///     `ParallelFrameCompressor.maximumWorkers` are used, so that memory does not grow with
    ///     the machine's cores.
    init(level: Int, threads requested: Int, forceOwnThreads: Bool = false) throws(ArchiveError) {
        let threads = Swift.min(requested, ParallelFrameCompressor.maximumWorkers)
        guard let context = ZSTD_createCCtx() else {
            output.deallocate()
            throw ArchiveError(.io, "cannot start zstd compression: libzstd could not allocate a context (out of memory?)")
        }
        self.context = context
        if let problem = Self.failure(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level))) {
            throw ArchiveError(.io, "libzstd refused compression level \(level): \(problem)")
        }
        // A libzstd built without threads (Debian's static library) refuses workers; then we
        // compress chunks as frames of their own on several threads.
        guard threads > 0 else { return }
        if !forceOwnThreads, Self.failure(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(clamping: threads))) == nil {
            _ = ZSTD_CCtx_setParameter(context, ZSTD_c_jobSize, Self.jobSize)
        } else if threads > 1 {
            parallel = ParallelFrameCompressor(level: level, workers: threads)
        }
    }

    /// Set when a compression stopped because the caller was cancelled.
    private var abandoned = false

    deinit {
        // Freeing a multi-threaded context waits for every queued job to finish, which at a high
        // level is seconds of work nobody wants any more. A cancelled binary exits right after,
        // so its context is left to the process's end instead.
        if !abandoned { ZSTD_freeCCtx(context) }
        output.deallocate()
    }

    /// Compresses `input` (all of it), and with `end` closes the frame.
    /// Every compressed chunk goes to `emit`, which returns false to stop
    /// (its own failure is kept by the caller).
    /// Returns libzstd's error text, or nil when all went well.
    /// `isCancelled` is asked between rounds: closing a frame at a high level can take seconds of
    /// queued work, which a cancelled job must not wait for.
    func compress(
        _ input: UnsafeRawBufferPointer, end: Bool, isCancelled: () -> Bool = { false },
        emit: (UnsafeRawBufferPointer) -> Bool
    ) -> String? {
        if let parallel {
            let problem = parallel.compress(input, end: end, isCancelled: isCancelled, emit: emit)
            if problem == Self.cancelled { abandoned = true }
            return problem
        }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            if isCancelled() {
                abandoned = true
                return Self.cancelled
            }
            var sink = ZSTD_outBuffer(dst: output, size: Self.outputCapacity, pos: 0)
            let remaining = ZSTD_compressStream2(context, &sink, &source, end ? ZSTD_e_end : ZSTD_e_continue)
            if let problem = Self.failure(remaining) { return problem }
            if sink.pos > 0, !emit(UnsafeRawBufferPointer(start: output, count: sink.pos)) {
                return nil
            }
            // e_continue is done once the input is taken in; e_end once
            // libzstd says nothing of the frame is left to flush.
            if end ? remaining == 0 : source.pos == source.size { return nil }
        }
    }

    /// What `compress` returns when it stopped because the caller was cancelled.
    static let cancelled = "cancelled"

    private static func failure(_ code: Int) -> String? {
        ZSTD_isError(code) == 0 ? nil : String(cString: ZSTD_getErrorName(code))
    }
}
