/// What post-command runs for each cache: `Saver` for the file and S3 stores, `RegistrySaver` for
/// the agent's cache registry. Chosen once per job, by the kind of store.
protocol CacheSaving: Sendable {
    /// One cache, with the time it took.
    func saveTimed(_ cache: ResolvedCache) async -> SaveResult
}

extension Saver: CacheSaving {}
