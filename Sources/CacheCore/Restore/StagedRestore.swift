import CacheArchive
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
            let parent = path.absolutePath.parentPath
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
                try ArchiveExtractor.extract(from: blob.path, destinations: destinations, symlinks: cache.symlinks,
                                             progress: progress.update, isCancelled: isCancelled)
            }
        } catch {
            for item in planned { TargetSwap.remove(item.staging) }
            throw error
        }
        for warning in report.warnings { log.warning("\(cache.id): \(warning)") }
        for member in report.missingMembers {
            let written = cache.paths.first { $0.memberName == member }?.written ?? member
            log.line("   \(cache.id): '\(written)' is not in this cache (it did not exist when the cache was saved); left as it is")
        }
        let present = planned.filter { FileManager.default.fileExists(atPath: $0.staging) || isSymlink($0.staging) }
        return StagedRestore(stagings: present, report: report)
    }

    /// Puts every staged path in place, or none: each swap parks the old tree under its staging
    /// name; when one fails, the paths already swapped get their old trees back. Old trees are
    /// deleted only once every path holds its new tree. `swap` is injectable to test a failure
    /// half-way; on error the staging names hold the new trees again, for `discard`.
    func swapIntoPlace(
        swap: (_ staging: String, _ target: String) throws -> TargetSwap.Swapped = { try TargetSwap.swap(staging: $0, target: $1) }
    ) throws {
        var done: [(item: (target: String, staging: String), swapped: TargetSwap.Swapped)] = []
        for item in stagings {
            do {
                done.append((item, try swap(item.staging, item.target)))
            } catch {
                try putBack(done, after: error)
                throw error
            }
        }
        for (item, _) in done { TargetSwap.remove(item.staging) }
    }

    /// Undoes swaps, newest first. A path that cannot be put back is named in the error: the
    /// job must know that it holds the new tree while the others hold the old ones.
    private func putBack(_ done: [(item: (target: String, staging: String), swapped: TargetSwap.Swapped)], after failure: Error) throws {
        var stuck: [String] = []
        for (item, swapped) in done.reversed() {
            do {
                try TargetSwap.undo(swapped, staging: item.staging, target: item.target)
            } catch {
                stuck.append("\(item.target) (\(error))")
            }
        }
        if !stuck.isEmpty {
            throw PartialSwapError(description: "\(failure); then could not put the old tree back at \(stuck.joined(separator: ", ")), "
                                   + "which now holds the restored files while the cache's other paths hold their old ones")
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

/// A swap failed half-way and a path could not get its old tree back (the rollback itself failed).
struct PartialSwapError: Error, CustomStringConvertible {
    let description: String
}
