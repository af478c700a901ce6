import CacheArchive
import Foundation

/// A blob extracted into staging trees beside its targets and not yet swapped in. Until
/// `swapIntoPlace` the targets are untouched; `discard` removes every staging tree.
struct StagedRestore: Sendable {
    /// Target path → staging path, only for members the archive actually held.
    let stagings: [(target: String, staging: String)]
    let report: ArchiveReport

    static func extract(blob: LocalBlob, cache: ResolvedCache, log: BuildkiteLog) async throws -> StagedRestore {
        var destinations: [String: String] = [:]
        var planned: [(target: String, staging: String)] = []
        for path in cache.paths {
            let parent = (path.absolutePath as NSString).deletingLastPathComponent
            try DurableFile.makeDirectories(parent)
            TargetSwap.removeLeftovers(beside: path.absolutePath)
            let staging = TargetSwap.stagingPath(for: path.absolutePath, cacheID: cache.id)
            destinations[path.memberName] = staging
            planned.append((path.absolutePath, staging))
        }
        let progress = ProgressReporter(log: log, label: cache.id, verb: "restored")
        let report: ArchiveReport
        do {
            report = try await runBlocking { [destinations] isCancelled in
                try ArchiveExtractor.extract(from: blob.path, destinations: destinations, progress: progress.update,
                                             isCancelled: isCancelled)
            }
        } catch {
            for item in planned { TargetSwap.remove(item.staging) }
            throw error
        }
        for warning in report.warnings { log.warning("\(cache.id): \(warning)") }
        let present = planned.filter { FileManager.default.fileExists(atPath: $0.staging) || isSymlink($0.staging) }
        return StagedRestore(stagings: present, report: report)
    }

    func swapIntoPlace() throws {
        for item in stagings {
            try TargetSwap.swap(staging: item.staging, target: item.target)
            TargetSwap.remove(item.staging)
        }
    }

    func discard() {
        for item in stagings { TargetSwap.remove(item.staging) }
    }
}

func isSymlink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
}
