/// `--dry-run` (or the `dry-run: true` option): every cache's keys and paths as this job would
/// use them, without touching the store or the files, so a user can check a definition before
/// trusting it.
enum DryRun {
    static func print(_ caches: [PreparedCache], store: String, log: BuildkiteLog) {
        log.section(":mag: swift-cache dry run: \(Formatting.count(caches.count, "cache")), store \(store)")
        for cache in caches {
            switch cache {
            case .ready(let cache):
                log.line("\(cache.id):")
                log.line("  key: \(cache.key)")
                for fallback in cache.fallbackKeys { log.line("  fallback key: \(fallback)") }
                for path in cache.paths { log.line("  path: \(path.written) -> \(path.absolutePath)") }
            case .skipped(let id, let reason):
                log.line("\(id): skipped: \(reason)")
            case .failed(let id, let reason):
                log.line("\(id): \(reason)")
            }
        }
    }
}
