/// What pre-command runs for each cache: `Restorer` for the file and S3 stores, `RegistryRestorer`
/// for the agent's cache registry. Chosen once per job, by the kind of store.
protocol CacheRestoring: Sendable {
    func restore(_ cache: ResolvedCache) async -> RestoreResult
}

extension Restorer: CacheRestoring {}
