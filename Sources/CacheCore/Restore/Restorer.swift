import CacheArchive
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

/// pre-command: for each cache, find an entry (exact key, then each fallback prefix; the job's
/// branch before the default branch), read its blob (as it downloads, from S3) while hashing it
/// into staging trees beside the targets, and swap them in only when the digest matches. A failure at any point leaves the
/// old targets as they were.
public struct Restorer: Sendable {
    let context: JobContext
    /// Forks' pull requests must not change the store, not even by expiring a bad entry.
    let mayWrite: Bool

    public init(context: JobContext, mayWrite: Bool) {
        self.context = context
        self.mayWrite = mayWrite
    }

    func restore(_ cache: ResolvedCache) async -> RestoreResult {
        await timed { await attempt(cache) }
    }

    private func attempt(_ cache: ResolvedCache) async -> RestoreResult {
        let scopes = StoreScope.readOrder(context.environment, saveScopes: cache.definition.saveScopes)
        let found: (entry: CacheEntry, scope: StoreScope, exact: Bool)?
        do {
            found = try await lookUp(cache, scopes: scopes)
        } catch is CancellationError {
            return RestoreResult(cache: cache, outcome: .failed(reason: "cancelled"))
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "the store did not answer: \(error)"))
        }
        guard let found else {
            return RestoreResult(cache: cache, outcome: .miss(reason: "no entry for the key or its fallbacks"))
        }
        let entry = found.entry

        // The blob is extracted as the store delivers it; nothing is swapped in before its digest matches.
        let staged: StagedRestore
        do {
            staged = try await context.store.readBlob(for: entry, retrier: context.retrier) { [log = context.log] input in
                try await StagedRestore.extract(from: input, cache: cache, log: log)
            }
        } catch StoreError.blobMissing {
            await expire(entry, scope: found.scope, because: "its blob is missing")
            return RestoreResult(cache: cache, outcome: .miss(reason: "the blob of '\(entry.key)' is missing"))
        } catch StoreError.blobUnreadable(let error) {
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not fetch the blob of '\(entry.key)': \(error)"))
        } catch let error as ArchiveError where ArchiveRefusal.isRefusal(error) {
            // A poisoned, damaged or unwanted blob: nobody should restore it again.
            await expire(entry, scope: found.scope, because: "its archive was refused")
            return RestoreResult(cache: cache, outcome: .miss(reason: ArchiveRefusal.reason(error, entry: entry)))
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not extract '\(entry.key)': \(error)"))
        }
        guard staged.report.sha256 == entry.digest else {
            await staged.discard()
            await expire(entry, scope: found.scope, because: "its blob does not match its digest")
            return RestoreResult(cache: cache, outcome: .miss(
                reason: "the blob of '\(entry.key)' is corrupt (sha256 \(staged.report.sha256.prefix(12))…, expected \(entry.digest.prefix(12))…)"))
        }
        do {
            try await staged.swapIntoPlace()
        } catch {
            await staged.discard()
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not put the restored files in place: \(error)"))
        }
        var result = RestoreResult(
            cache: cache, outcome: found.exact ? .exact(matchedKey: entry.key) : .fallback(matchedKey: entry.key))
        result.archiveBytes = staged.report.compressedBytes
        result.contentBytes = staged.report.contentBytes
        result.files = staged.report.files
        return result
    }

    /// Exact key in every scope first (an exact match on the default branch beats a fallback on
    /// this one), then each fallback prefix in every scope.
    private func lookUp(_ cache: ResolvedCache, scopes: [StoreScope]) async throws -> (entry: CacheEntry, scope: StoreScope, exact: Bool)? {
        let store = context.store
        for scope in scopes {
            let key = cache.key
            if let entry = try await context.call("look up '\(key)' in \(scope)", { try await store.entry(key: key, scope: scope) }) {
                return (entry, scope, true)
            }
        }
        for prefix in cache.fallbackKeys {
            for scope in scopes {
                // Many calls (LIST pages, candidate reads): the store retries each on its own.
                if let entry = try await store.newestEntry(prefix: prefix, scope: scope, retrier: context.retrier) {
                    return (entry, scope, entry.key == cache.key)
                }
            }
        }
        return nil
    }

    private func expire(_ entry: CacheEntry, scope: StoreScope, because reason: String) async {
        guard mayWrite else { return }
        let store = context.store
        do {
            try await context.call("expire '\(entry.key)'") { try await store.expire(entry, scope: scope) }
            context.log.line("Expired the entry '\(entry.key)' because \(reason); the next save replaces it.")
        } catch {
            context.log.warning("Could not expire the bad entry '\(entry.key)': \(error)")
        }
    }
}
