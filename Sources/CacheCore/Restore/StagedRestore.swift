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

    /// Extracts the archive `input` delivers (a file, or a download as it arrives) into staging
    /// trees; on any error every staging tree is removed again.
    static func extract(from input: any ArchiveInput, cache: ResolvedCache, log: BuildkiteLog) async throws -> StagedRestore {
        let planned = try await plan(cache)
        var destinations: [String: String] = [:]
        for (path, item) in zip(cache.paths, planned) { destinations[path.memberName] = item.staging }
        let progress = ProgressReporter(log: log, label: cache.id, verb: "restored")
        return try await staged(planned, cache: cache, log: log) { [destinations] isCancelled in
            try ArchiveExtractor.extract(from: input, destinations: destinations, symlinks: cache.symlinks,
                                         progress: progress.update, isCancelled: isCancelled)
        }
    }

    /// A staging path beside each target (in the order of `cache.paths`), with the leftovers of
    /// an earlier, interrupted restore removed.
    static func plan(_ cache: ResolvedCache) async throws -> [(target: String, staging: String)] {
        var planned: [(target: String, staging: String)] = []
        for path in cache.paths {
            let parent = path.absolutePath.parentPath
            try DurableFile.makeDirectories(parent)
            planned.append((path.absolutePath, TargetSwap.stagingPath(for: path.absolutePath, cacheID: cache.id)))
        }
        let targets = planned.map(\.target)
        await runBlocking { for target in targets { TargetSwap.removeLeftovers(beside: target) } }
        return planned
    }

    /// Runs `extraction` (which writes only into the planned staging paths) off the cooperative
    /// pool; on failure every staging tree is removed. Members the archive lacked are reported.
    static func staged(_ planned: [(target: String, staging: String)], cache: ResolvedCache, log: BuildkiteLog,
                       extraction: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> ArchiveReport)
        async throws -> StagedRestore {
        let report: ArchiveReport
        do {
            report = try await runBlocking(extraction)
        } catch {
            await TargetSwap.remove(planned.map(\.staging))
            throw error
        }
        for warning in report.warnings { log.warning("\(cache.id): \(warning)") }
        for member in report.missingMembers {
            let written = cache.paths.first { $0.memberName == member || $0.absolutePath == member }?.written ?? member
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
    ) async throws {
        var done: [(item: (target: String, staging: String), swapped: TargetSwap.Swapped)] = []
        for item in stagings {
            do {
                done.append((item, try swap(item.staging, item.target)))
            } catch {
                try putBack(done, after: error)
                throw error
            }
        }
        await TargetSwap.remove(done.map(\.item.staging))
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

    func discard() async {
        await TargetSwap.remove(stagings.map(\.staging))
    }
}

/// A swap failed half-way and a path could not get its old tree back (the rollback itself failed).
struct PartialSwapError: Error, CustomStringConvertible {
    let description: String
}
