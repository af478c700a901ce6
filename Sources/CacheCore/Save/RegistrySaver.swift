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

/// post-command against the agent's cache registry, in the agent's order: peek (an entry that
/// exists is never overwritten), registry (which blob store), archive in the agent's zip format,
/// create, upload the blob under its sha256, commit. Each call is retried on its own with the save
/// policy; only the commit makes the entry visible.
struct RegistrySaver: CacheSaving {
    let registry: RegistryStore
    let environment: JobEnvironment
    let log: BuildkiteLog
    /// The save policy: patient, the work is done by now.
    let retrier: Retrier
    let health: StoreHealth

    func saveTimed(_ cache: ResolvedCache) async -> SaveResult {
        await timed { await save(cache) }
    }

    private func save(_ cache: ResolvedCache) async -> SaveResult {
        let client = registry.client
        let (address, _) = RegistryAddress.of(cache)
        let scopes = cache.definition.saveScopes?.registryValues(environment) ?? [:]
        let lookup = RegistryLookup(targetPaths: address.targetPaths, cacheKey: address.cacheKey, scopes: scopes)
        let store: String
        do {
            if try await health.call("peek '\(cache.key)'", retrier: retrier, { try await client.peek(lookup) }) != nil {
                return SaveResult(cache: cache, outcome: .alreadyCached)
            }
            store = try await health.call("look up the cache registry", retrier: retrier) { try await client.registryInfo() }.store
        } catch {
            return SaveResult(cache: cache, outcome: .failed(reason: "the cache registry did not answer: \(error)"))
        }

        var targets: [AgentArchiveTarget] = []
        for path in cache.paths {
            var info = stat()
            if lstat(path.absolutePath, &info) != 0 {
                log.line("   \(cache.id): '\(path.written)' does not exist; saving the other paths")
                continue
            }
            targets.append(AgentArchiveTarget(path))
        }
        if targets.isEmpty {
            return SaveResult(cache: cache, outcome: .skipped(reason: "none of its paths exist"))
        }

        let blobs: RegistryBlobStore
        let archivePath: String
        let report: ArchiveReport
        do {
            blobs = try registry.blobs(store)
            archivePath = try blobs.temporaryArchivePath()
            report = try await runBlocking { [targets] isCancelled in
                try AgentArchiveWriter.write(targets: targets, to: archivePath, symlinks: cache.symlinks, isCancelled: isCancelled)
            }
        } catch {
            return SaveResult(cache: cache, outcome: .failed(reason: "could not archive: \(error)"))
        }
        defer { unlink(archivePath) }
        for warning in report.warnings { log.warning("\(cache.id): \(warning)") }

        let create = RegistryCreate(
            targetPaths: address.targetPaths, cacheKey: address.cacheKey,
            blobs: [CacheBlob(digest: CacheDigest(algorithm: "sha256", value: report.sha256), fileSize: report.compressedBytes,
                              compression: "zip")],
            platform: "\(KeyContext.hostOS)/\(KeyContext.hostArch)", scopes: scopes)
        do {
            // A cancelled job stores nothing, even when its archive was finished.
            try Task.checkCancellation()
            let created = try await health.call("create '\(cache.key)'", retrier: retrier) { try await client.create(create) }
            try await blobs.put(from: archivePath, digest: report.sha256, retrier: retrier)
            let uploadID = created.uploadID
            try await health.call("commit '\(cache.key)'", retrier: retrier) { try await client.commit(uploadID: uploadID) }
        } catch let error as RegistryError where error.status == 409 {
            return SaveResult(cache: cache, outcome: .alreadySavedByAnotherJob)
        } catch {
            return SaveResult(cache: cache, outcome: .failed(reason: "could not store the cache: \(error)"))
        }
        var result = SaveResult(cache: cache, outcome: .saved)
        result.archiveBytes = report.compressedBytes
        result.contentBytes = report.contentBytes
        result.files = report.files
        return result
    }
}
