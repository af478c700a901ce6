/// A configured cache as a job will handle it: ready with its keys, skipped on purpose (a preset's
/// lock file is not in the checkout), or, in post-command only, failed because its key could not
/// be computed.
enum PreparedCache: Sendable {
    case ready(ResolvedCache)
    case skipped(id: String, reason: String)
    case failed(id: String, reason: String)

    var ready: ResolvedCache? {
        if case .ready(let cache) = self { cache } else { nil }
    }

    /// pre-command: render every key now. A key that cannot be rendered is a mistake in the
    /// definition and stops the job before any store call; a preset without its lock file is
    /// skipped with one warning.
    static func forRestore(_ configuration: Configuration, environment: JobEnvironment,
                           log: BuildkiteLog) throws(ConfigurationError) -> [PreparedCache] {
        var result: [PreparedCache] = []
        for definition in configuration.caches {
            do {
                result.append(try rendered(definition, environment: environment, log: log))
            } catch {
                throw configuration.locating(error)
            }
        }
        return result
    }

    /// The cache with its keys rendered now, or skipped (with a warning) when a preset's lock
    /// file is missing.
    private static func rendered(_ definition: CacheDefinition, environment: JobEnvironment,
                                 log: BuildkiteLog) throws(ConfigurationError) -> PreparedCache {
        if let reason = ResolvedCache.missingLockFile(definition, environment: environment) {
            log.warning("\(definition.id): \(reason)")
            return .skipped(id: definition.id, reason: reason)
        }
        return placed(try ResolvedCache.resolve(definition, environment: environment), environment: environment, log: log)
    }

    /// Ready, unless a path's parents leave the checkout (or home) through a symbolic link: a pull
    /// request could commit `vendor -> /elsewhere` and have `vendor/bundle` restored over a
    /// directory of the agent host, or saved from one. Checked in each hook, since the command may
    /// have made the link.
    private static func placed(_ cache: ResolvedCache, environment: JobEnvironment, log: BuildkiteLog) -> PreparedCache {
        let escape = cache.paths.lazy.compactMap {
            $0.escapingParent(checkout: environment.checkoutDirectory, home: environment.homeDirectory)
        }.first
        guard let escape else { return .ready(cache) }
        let reason = "\(escape); a cache path must stay inside it, so this cache is neither restored nor saved"
        log.warning("\(cache.id): skipped: \(reason)")
        return .skipped(id: cache.id, reason: reason)
    }

    /// post-command: the keys pre-command handed over in `state`, else rendered now. Rendering now
    /// happens after the command, which may have changed the files a checksum reads, so a key that
    /// cannot be rendered fails only that cache, never the job (unless `fail-on-error`).
    static func forSave(_ configuration: Configuration, environment: JobEnvironment, state: StateFile?,
                        log: BuildkiteLog) -> [PreparedCache] {
        var result: [PreparedCache] = []
        for definition in configuration.caches {
            if let handed = state?.cache(definition.id) {
                if let key = handed.key {
                    do {
                        result.append(placed(try ResolvedCache.withKeys(definition, key: key, fallbackKeys: handed.fallbackKeys ?? [],
                                                                        keyParts: handed.keyParts, environment: environment), environment: environment, log: log))
                    } catch {
                        result.append(.failed(id: definition.id, reason: "\(configuration.locating(error))"))
                    }
                } else {
                    result.append(.skipped(id: definition.id, reason: "skipped in pre-command: \(handed.skipped ?? "")"))
                }
                continue
            }
            do {
                result.append(try rendered(definition, environment: environment, log: log))
            } catch {
                result.append(.failed(id: definition.id, reason: "could not compute its key: \(configuration.locating(error))"))
            }
        }
        return result
    }

    /// What pre-command writes for post-command.
    static func state(of caches: [PreparedCache], storeUnreachable: String?) -> StateFile {
        var entries: [StateFile.Cache] = []
        for cache in caches {
            switch cache {
            case .ready(let resolved):
                entries.append(.init(id: resolved.id, key: resolved.key, fallbackKeys: resolved.fallbackKeys, keyParts: resolved.keyParts))
            case .skipped(let id, let reason), .failed(let id, let reason):
                entries.append(.init(id: id, skipped: reason))
            }
        }
        return StateFile(storeUnreachable: storeUnreachable, caches: entries)
    }
}
