import CSystemCalls
import CacheArchive
import CacheKeys
import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// post-command: for each cache, skip when its exact key is already stored; otherwise archive the
/// paths (hashing while writing), store the blob, and commit the entry. The commit is the only
/// step that makes anything visible, so a save that dies half-way leaves nothing a restore could
/// pick up. Each store call is retried on its own: a failed commit never redoes the archive.
public struct Saver: Sendable {
    let context: JobContext
    let compressionLevel: Int
    let now: @Sendable () -> Date

    public init(context: JobContext, compressionLevel: Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.context = context
        self.compressionLevel = compressionLevel
        self.now = now
    }

    /// One cache, with the time it took.
    func saveTimed(_ cache: ResolvedCache) async -> SaveResult {
        await timed { await save(cache) }
    }

    private func save(_ cache: ResolvedCache) async -> SaveResult {
        let store = context.store
        let key = cache.key
        do {
            for scope in StoreScope.readOrder(context.environment, saveScopes: cache.definition.saveScopes) {
                if try await context.call("check for '\(key)' in \(scope)", { try await store.entry(key: key, scope: scope) }) != nil {
                    return SaveResult(cache: cache, outcome: .alreadyCached)
                }
            }
        } catch {
            return SaveResult(cache: cache, outcome: .failed(reason: "the store did not answer: \(error)"))
        }

        var sources: [ArchiveSource] = []
        for path in cache.paths {
            var info = stat()
            if lstat(path.absolutePath, &info) != 0 {
                // Routine (a Rust project without git dependencies has no ~/.cargo/git): one
                // plain line, not a warning that every job of the pipeline repeats.
                context.log.line("   \(cache.id): '\(path.written)' does not exist; saving the other paths")
                continue
            }
            sources.append(ArchiveSource(name: path.memberName, path: path.absolutePath))
        }
        if sources.isEmpty {
            return SaveResult(cache: cache, outcome: .skipped(reason: "none of its paths exist"))
        }

        let archivePath: String
        let report: ArchiveReport
        do {
            archivePath = try store.temporaryArchivePath()
            let options = ArchiveOptions(compressionLevel: compressionLevel,
                                         threads: ProcessInfo.processInfo.activeProcessorCount, symlinks: cache.symlinks)
            let progress = ProgressReporter(log: context.log, label: cache.id, verb: "archived")
            report = try await runBlocking { [sources] isCancelled in
                try ArchiveWriter.write(sources: sources, to: archivePath, options: options, progress: progress.update,
                                        isCancelled: isCancelled)
            }
        } catch {
            return SaveResult(cache: cache, outcome: .failed(reason: "could not archive: \(error)"))
        }
        for warning in report.warnings { context.log.warning("\(cache.id): \(warning)") }

        let entry = CacheEntry(
            key: key, digest: report.sha256, size: report.compressedBytes, created: now(),
            platform: "\(KeyContext.hostOS)/\(KeyContext.hostArch)", members: sources.map(\.name),
            branch: context.environment.branch, job: context.environment["BUILDKITE_JOB_ID"])
        let scope = StoreScope.saving(context.environment, saveScopes: cache.definition.saveScopes)
        let committed: CommitOutcome
        do {
            // A cancelled job stores nothing, even when its archive was finished.
            try Task.checkCancellation()
            try await store.putBlob(from: archivePath, digest: report.sha256, retrier: context.retrier)
            committed = try await context.call("commit '\(key)'") { try await store.commit(entry, scope: scope) }
        } catch {
            unlink(archivePath)
            return SaveResult(cache: cache, outcome: .failed(reason: "could not store the cache: \(error)"))
        }
        if committed == .alreadySaved {
            return SaveResult(cache: cache, outcome: .alreadySavedByAnotherJob)
        }
        var result = SaveResult(cache: cache, outcome: .saved)
        result.archiveBytes = report.compressedBytes
        result.contentBytes = report.contentBytes
        result.files = report.files
        return result
    }
}
