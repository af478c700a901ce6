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
