import Foundation
import Testing
@testable import CacheArchive

/// Where libzstd has no threads (the static library in release binaries), chunks are compressed
/// as frames of their own on several threads; the result must be one ordinary zstd stream.
@Suite("Parallel zstd frames")
struct ParallelFrameTests {
    @Test(arguments: [0, 1, ParallelFrameCompressor.chunkSize, ParallelFrameCompressor.chunkSize + 1, 11_000_000])
    func chunksBecomeFramesThatDecodeAsOneStream(size: Int) throws {
        let temp = try TempDirectory()
        var generator = SystemRandomNumberGenerator()
        // Half text, half random: compressible and not.
        var bytes = [UInt8](repeating: 0, count: size)
        for index in 0..<size { bytes[index] = index % 2 == 0 ? UInt8(ascii: "a") + UInt8(index / 7 % 26) : generator.next() }
        let compressor = try ZstdStreamCompressor(level: 3, threads: 3, forceOwnThreads: true)
        var written = Data()
        // Fed in uneven pieces, as the tar writer does.
        var offset = 0
        var piece = 1
        while offset < size {
            let count = Swift.min(size - offset, piece * 65_537)
            let problem = bytes.withUnsafeBytes { all in
                compressor.compress(UnsafeRawBufferPointer(rebasing: all[offset..<offset + count]), end: false) { chunk in
                    written.append(contentsOf: chunk)
                    return true
                }
            }
            #expect(problem == nil)
            offset += count
            piece += 7
        }
        let problem = compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), end: true) { chunk in
            written.append(contentsOf: chunk)
            return true
        }
        #expect(problem == nil)
        let path = temp.sub("out.zst")
        try written.write(to: URL(fileURLWithPath: path))
        let chunk = ParallelFrameCompressor.chunkSize
        let frames = (size + chunk - 1) / chunk
        #expect(try shell("zstd -lv \(quoted(path)) 2>&1").contains("# Zstandard Frames: \(Swift.max(frames, 1))"))
        try shell("zstd -dc \(quoted(path)) > \(quoted(temp.sub("back")))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: temp.sub("back"))) == Data(bytes))
    }

    @Test func anArchiveOfParallelFramesExtractsWithOurReader() throws {
        let temp = try TempDirectory()
        try makeDirectory(temp.sub("tree"))
        try shell("head -c 9000000 /dev/urandom > \(quoted(temp.sub("tree/random")))")
        try shell("tar -cf - -C \(quoted(temp.sub(""))) tree > \(quoted(temp.sub("a.tar")))")
        let tar = try Data(contentsOf: URL(fileURLWithPath: temp.sub("a.tar")))
        let compressor = try ZstdStreamCompressor(level: 3, threads: 2, forceOwnThreads: true)
        var written = Data()
        let problem = tar.withUnsafeBytes { all in
            compressor.compress(all, end: true) { chunk in
                written.append(contentsOf: chunk)
                return true
            }
        }
        #expect(problem == nil)
        try written.write(to: URL(fileURLWithPath: temp.sub("a.tar.zst")))
        _ = try ArchiveExtractor.extract(from: FileArchiveInput(path: temp.sub("a.tar.zst")), destinations: ["tree": temp.sub("ours")])
        try shell("cmp \(quoted(temp.sub("tree/random"))) \(quoted(temp.sub("ours/random")))")
    }
}

/// How many chunks and workers the parallel compressor keeps, whatever the input and the machine.
@Suite("Parallel zstd frames: memory and workers")
struct ParallelFrameBoundsTests {
    @Test func workersAreCappedWhateverTheCores() throws {
        #expect(try ZstdStreamCompressor(level: 3, threads: 64, forceOwnThreads: true).parallelWorkers
                == ParallelFrameCompressor.maximumWorkers)
        #expect(try ZstdStreamCompressor(level: 3, threads: 2, forceOwnThreads: true).parallelWorkers == 2)
        #expect(try ZstdStreamCompressor(level: 3, threads: 1, forceOwnThreads: true).parallelWorkers == nil)
    }

    /// Text and random chunks in turn (they take very different times to compress): the chunks in
    /// memory reach the lookahead and never pass it, and the frames still come out in order.
    @Test func chunksInFlightReachTheLookaheadAndNoMore() throws {
        let temp = try TempDirectory()
        let chunk = ParallelFrameCompressor.chunkSize
        var generator = SystemRandomNumberGenerator()
        let random = (0..<chunk).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = (0..<chunk).map { UInt8(ascii: "a") + UInt8($0 / 5 % 26) }
        let compressor = ParallelFrameCompressor(level: 1, workers: 2)
        let limit = compressor.workerCount + ParallelFrameCompressor.lookahead + 1
        var written = Data()
        var expected = Data()
        var peak = 0
        for index in 0..<24 {
            let piece = index % 3 == 0 ? random : text
            expected.append(contentsOf: piece)
            let problem = piece.withUnsafeBytes { bytes in
                compressor.compress(bytes, end: false, isCancelled: { false }) { frame in
                    written.append(contentsOf: frame)
                    return true
                }
            }
            #expect(problem == nil)
            peak = Swift.max(peak, compressor.chunksAllocated)
        }
        #expect(compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), end: true, isCancelled: { false }) { frame in
            written.append(contentsOf: frame)
            return true
        } == nil)
        #expect(peak == limit)
        #expect(compressor.chunksAllocated <= limit)

        try written.write(to: URL(fileURLWithPath: temp.sub("out.zst")))
        try expected.write(to: URL(fileURLWithPath: temp.sub("expected")))
        #expect(try shell("zstd -lv \(quoted(temp.sub("out.zst"))) 2>&1").contains("# Zstandard Frames: 24"))
        try shell("zstd -dc \(quoted(temp.sub("out.zst"))) | cmp - \(quoted(temp.sub("expected")))")
    }

    /// A cancelled save drops its compressor mid-stream; its workers must end, not wait forever.
    /// (The 30 s only matter when they do not: the wait ends as soon as they have.)
    @Test func aDroppedCompressorEndsItsWorkers() {
        var compressor: ParallelFrameCompressor? = ParallelFrameCompressor(level: 3, workers: 3)
        let text = (0..<(3 * ParallelFrameCompressor.chunkSize)).map { UInt8(ascii: "a") + UInt8($0 / 3 % 26) }
        let problem = text.withUnsafeBytes { bytes in
            compressor!.compress(bytes, end: false, isCancelled: { false }) { _ in true }
        }
        #expect(problem == nil)
        let waitForWorkers = compressor!.workerEndWaiter()
        compressor = nil
        let ended = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            waitForWorkers()
            ended.signal()
        }
        #expect(ended.wait(timeout: .now() + 30) == .success, "the workers of a dropped compressor are still running")
    }
}
