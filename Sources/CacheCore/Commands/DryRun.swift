/// `--dry-run`: every cache's keys and paths as this job would use them, without touching the
/// store or the files, so a user can check a definition before trusting it.
enum DryRun {
    static func print(_ caches: [ResolvedCache], store: String, log: BuildkiteLog) {
        log.section(":mag: swift-cache dry run: \(caches.count) cache\(caches.count == 1 ? "" : "s"), store \(store)")
        for cache in caches {
            log.line("\(cache.id):")
            log.line("  key: \(cache.key)")
            for fallback in cache.fallbackKeys { log.line("  fallback key: \(fallback)") }
            for path in cache.paths { log.line("  path: \(path.written) -> \(path.absolutePath)") }
        }
    }
}
