import CacheArchive
import Foundation
import Testing
@testable import CacheCore

/// A cache with several paths restores all of them or none: when a swap fails half-way, the paths
/// already swapped get their old trees back, and no old tree is deleted before every swap is done.
@Suite("Several paths swap in all or nothing")
struct AllOrNothingSwapTests {
    struct InjectedFailure: Error {}

    func staged(_ scratch: Scratch, paths: [String], oldTrees: Set<String>) throws -> StagedRestore {
        var stagings: [(target: String, staging: String)] = []
        for path in paths {
            if oldTrees.contains(path) { try scratch.write("\(path)/which", "old \(path)") }
            try scratch.write(".staging-\(path)/which", "new \(path)")
            stagings.append((scratch.path + "/" + path, scratch.path + "/.staging-" + path))
        }
        let report = ArchiveReport(sha256: "", compressedBytes: 0, contentBytes: 0, files: 0, directories: 0, symlinks: 0,
                                   hardlinks: 0, warnings: [])
        return StagedRestore(stagings: stagings, report: report)
    }

    /// Swaps normally until call number `failing`, which throws.
    func swapFailing(at failing: Int) -> (String, String) throws -> TargetSwap.Swapped {
        let calls = Counter()
        return { staging, target in
            if calls.next() == failing { throw InjectedFailure() }
            return try TargetSwap.swap(staging: staging, target: target)
        }
    }

    @Test(arguments: [2, 3])
    func aFailedSwapPutsBackTheOnesAlreadySwapped(failing: Int) async throws {
        let scratch = try Scratch()
        // `b` has no old tree: undoing its swap must leave nothing there.
        let restore = try staged(scratch, paths: ["a", "b", "c"], oldTrees: ["a", "c"])
        await #expect(throws: InjectedFailure.self) { try await restore.swapIntoPlace(swap: swapFailing(at: failing)) }
        #expect(scratch.read("a/which") == "old a")
        #expect(!scratch.exists("b"))
        #expect(scratch.read("c/which") == "old c")
        // The new trees are back under their staging names, for `discard`.
        for path in ["a", "b", "c"] { #expect(scratch.read(".staging-\(path)/which") == "new \(path)") }
        await restore.discard()
        for path in ["a", "b", "c"] { #expect(!scratch.exists(".staging-\(path)")) }
    }

    @Test func everySwapDoneThenTheOldTreesGo() async throws {
        let scratch = try Scratch()
        let restore = try staged(scratch, paths: ["a", "b"], oldTrees: ["a"])
        try await restore.swapIntoPlace()
        #expect(scratch.read("a/which") == "new a")
        #expect(scratch.read("b/which") == "new b")
        #expect(!scratch.exists(".staging-a"))
        #expect(!scratch.exists(".staging-b"))
    }
}

final class Counter: @unchecked Sendable {
    private var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}
