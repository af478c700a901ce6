import Foundation
import Testing
@testable import CacheArchive

/// A cancelled job stops archive work at the next entry or block and leaves nothing partial.
@Suite("Cancelling archive work")
struct CancellationTests {
    func makeTree(_ root: String) throws {
        for index in 0..<20 {
            let directory = "\(root)/tree/d\(index % 4)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(repeating: UInt8(index), count: 4096).write(to: URL(fileURLWithPath: "\(directory)/f\(index)"))
        }
    }

    @Test func cancelledWriteRemovesItsOutput() throws {
        let root = FileManager.default.temporaryDirectory.path + "/cancel-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try makeTree(root)
        let output = root + "/out.tar.zst"
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveWriter.write(sources: [ArchiveSource(name: "m", path: root + "/tree")], to: output, isCancelled: { true })
        }
        #expect(error.kind == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func cancelledExtractionRemovesItsDestination() throws {
        let root = FileManager.default.temporaryDirectory.path + "/cancel-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try makeTree(root)
        let output = root + "/out.tar.zst"
        _ = try ArchiveWriter.write(sources: [ArchiveSource(name: "m", path: root + "/tree")], to: output)
        // Cancelled after a few entries, as a SIGTERM mid-extraction would.
        let calls = Counter()
        let error = try #require(throws: ArchiveError.self) {
            try ArchiveExtractor.extract(from: FileArchiveInput(path: output), destinations: ["m": root + "/restored"], isCancelled: { calls.next() > 5 })
        }
        #expect(error.kind == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: root + "/restored"))
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
