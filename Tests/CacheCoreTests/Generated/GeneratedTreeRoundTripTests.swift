import Foundation
import Testing
@testable import CacheCore

/// Whatever a save stores, a restore puts back exactly: random trees with every kind of entry go
/// through the same entry points the binaries use (SaveJob, RestoreJob) on a file store in a
/// scratch directory, and come back equal in paths, types, modes, link targets, contents,
/// nanosecond mtimes and hard links. Each seed is one tree; a failure names it.
@Suite("Generated trees survive save and restore")
struct GeneratedTreeRoundTripTests {
    static let configuration = #"{"caches":[{"id":"tree","key":"tree-{{ checksum \"lock.txt\" }}","paths":["tree","~/.tool"]}]}"#

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func aGeneratedTreeComesBackExactly(seed: UInt64) async throws {
        let scratch = try Scratch()
        try scratch.write("checkout/lock.txt", "seed \(seed)")
        try FileManager.default.createDirectory(atPath: scratch.path + "/home", withIntermediateDirectories: true)
        var tree = TreeGenerator(seed: seed, root: scratch.path + "/checkout/tree")
        try tree.build()
        var tool = TreeGenerator(seed: seed &+ 1000, root: scratch.path + "/home/.tool")
        try tool.build(directoriesToMake: 3, filesToMake: 5)
        let savedTree = try TreeSnapshot(tree.root, skipping: Set(tree.skippable))
        let savedTool = try TreeSnapshot(tool.root, skipping: Set(tool.skippable))
        let environment = jobEnvironment(scratch, configuration: Self.configuration)

        let saveLog = CapturedLog()
        let saved = await SaveJob.run(environment: environment, log: saveLog.log, dryRun: false, clock: RecordingClock(), random: ZeroRandom())
        #expect(saved == .success, "seed \(seed): \(saveLog.text)")
        #expect(saveLog.text.contains("tree: saved"), "seed \(seed): \(saveLog.text)")
        // One warning line per skipped FIFO or socket, naming it.
        for skipped in tree.skippable + tool.skippable {
            let name = (skipped as NSString).lastPathComponent
            #expect(saveLog.text.split(separator: "\n").contains { $0.contains("skipped") && $0.contains(name) },
                    "seed \(seed): no warning names \(skipped.debugDescription)")
        }

        try removeTree(tree.root)
        try removeTree(tool.root)
        let restoreLog = CapturedLog()
        let restored = await RestoreJob.run(environment: environment, log: restoreLog.log, exportFile: nil, dryRun: false,
                                            clock: RecordingClock(), random: ZeroRandom())
        #expect(restored == .success)
        #expect(restoreLog.text.contains("tree: hit"), "seed \(seed): \(restoreLog.text)")
        let differences = try savedTree.differences(from: TreeSnapshot(tree.root)) + savedTool.differences(from: TreeSnapshot(tool.root))
        #expect(differences.isEmpty, "seed \(seed):\n\(differences.joined(separator: "\n"))")
    }

    private func removeTree(_ path: String) throws {
        _ = try Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", path]).waitUntilExit()
        try FileManager.default.removeItem(atPath: path)
    }
}
