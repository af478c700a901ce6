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

/// pre-command against the agent's cache registry, in the agent's order (retrieve, download,
/// verify, validate, extract) but held to our rules: the blob's digest is checked before anything
/// is touched, and the archive is extracted into staging trees beside the targets that are
/// swapped in only when all of it was read. A missing blob, a digest mismatch or a refused archive
/// is a miss, and the entry is expired so the next save replaces it, as the agent does.
struct RegistryRestorer: CacheRestoring {
    let registry: RegistryStore
    let environment: JobEnvironment
    let log: BuildkiteLog
    /// The restore policy: fast, a restore blocks the job.
    let retrier: Retrier
    let health: StoreHealth
    /// Forks' pull requests must not change the registry, not even by expiring a bad entry.
    let mayWrite: Bool

    func restore(_ cache: ResolvedCache) async -> RestoreResult {
        await timed { await attempt(cache) }
    }

    private func attempt(_ cache: ResolvedCache) async -> RestoreResult {
        let (address, unmapped) = RegistryAddress.of(cache)
        for fallback in unmapped {
            log.warning("\(cache.id): the fallback key '\(fallback)' is not a prefix of the key, so the cache registry cannot "
                        + "match it (its fallback works on key parts); it is not used with this store")
        }
        let client = registry.client
        let found: RegistryEntry?
        do {
            let lookup = RegistryLookup(targetPaths: address.targetPaths, cacheKey: address.cacheKey, scopes: nil)
            found = try await health.call("retrieve '\(cache.key)'", retrier: retrier) { try await client.retrieve(lookup) }
        } catch is CancellationError {
            return RestoreResult(cache: cache, outcome: .failed(reason: "cancelled"))
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "the cache registry did not answer: \(error)"))
        }
        guard let found else {
            return RestoreResult(cache: cache, outcome: .miss(reason: "no entry for the key or its fallbacks"))
        }
        let matched = matchedKey(found, cache: cache)
        guard let blob = found.blobs?.first else {
            return RestoreResult(cache: cache, outcome: .failed(reason: "the registry's entry for '\(matched)' has no blob to download"))
        }
        guard blob.digest.algorithm == "sha256", CacheEntry.isValidDigest(blob.digest.value) else {
            return RestoreResult(cache: cache, outcome: .miss(
                reason: "the registry's entry for '\(matched)' names its blob by \(blob.digest.algorithm.escapingControlCharacters()), "
                    + "which swift-cache cannot verify; not restored"))
        }
        let digest = blob.digest.value

        let local: LocalBlob
        do {
            local = try await registry.blobs(found.store ?? "").fetch(digest: digest, retrier: retrier)
        } catch StoreError.blobMissing {
            await expire(found, because: "its blob is missing")
            return RestoreResult(cache: cache, outcome: .miss(reason: "the blob of '\(matched)' is missing"))
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not fetch the blob of '\(matched)': \(error)"))
        }
        defer { if local.isTemporary { unlink(local.path) } }

        let actual: String
        do {
            actual = try await runBlocking { _ in try FileChecksum.sha256Hex(ofFileAt: local.path) }
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not read the blob of '\(matched)': \(error)"))
        }
        guard actual == digest else {
            await expire(found, because: "its blob does not match its digest")
            return RestoreResult(cache: cache, outcome: .miss(
                reason: "the blob of '\(matched)' is corrupt (sha256 \(actual.prefix(12))…, expected \(digest.prefix(12))…)"))
        }

        let staged: StagedRestore
        do {
            staged = try await StagedRestore.extractAgentArchive(blob: local, cache: cache, environment: environment, log: log)
        } catch let error as ArchiveError where ArchiveRefusal.isRefusal(error) {
            await expire(found, because: "its archive was refused")
            return RestoreResult(cache: cache, outcome: .miss(reason: "refused the archive of '\(matched)': \(error.message)"))
        } catch {
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not extract '\(matched)': \(error)"))
        }
        do {
            try await staged.swapIntoPlace()
        } catch {
            await staged.discard()
            return RestoreResult(cache: cache, outcome: .failed(reason: "could not put the restored files in place: \(error)"))
        }
        var result = RestoreResult(cache: cache, outcome: found.fallback == true ? .fallback(matchedKey: matched) : .exact(matchedKey: matched))
        result.archiveBytes = blob.fileSize
        result.contentBytes = staged.report.contentBytes
        result.files = staged.report.files
        return result
    }

    /// The key of the entry the server chose, spelt as ours are: `caches:` parts joined with `-`,
    /// a cut key put back together. A registry's text, so control characters are escaped.
    private func matchedKey(_ found: RegistryEntry, cache: ResolvedCache) -> String {
        guard found.fallback == true, let parts = found.cacheKey, !parts.isEmpty else { return cache.key }
        return parts.map(\.value).joined(separator: cache.keyParts == nil ? "" : "-").escapingControlCharacters()
    }

    /// The agent's "miss + expire": best effort, at the address retrieve answered with.
    private func expire(_ found: RegistryEntry, because reason: String) async {
        guard mayWrite else { return }
        guard let paths = found.targetPaths, !paths.isEmpty, let key = found.cacheKey, !key.isEmpty else {
            log.warning("Could not expire the bad registry entry (its answer had no address); it stays until it expires")
            return
        }
        let client = registry.client
        let address = RegistryAddress(targetPaths: paths, cacheKey: key)
        do {
            try await health.call("expire", retrier: retrier) { try await client.expire(address) }
            log.line("Expired the registry entry because \(reason); the next save replaces it.")
        } catch {
            log.warning("Could not expire the bad registry entry: \(error)")
        }
    }
}
