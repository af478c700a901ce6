import CacheRetry

/// What both binaries do first: load the configuration and resolve every cache, reporting a
/// configuration error in a `+++` section so the agent opens it.
struct CommandSetup {
    let configuration: Configuration
    let caches: [ResolvedCache]
    let store: any CacheStore

    /// nil with a status: stop now with that exit status (0 when there is nothing to do).
    static func load(environment: JobEnvironment, log: BuildkiteLog, phase: String) -> Result<CommandSetup?, JobExitStatus> {
        do {
            guard let configuration = try ConfigurationLoader.load(environment) else {
                log.line("swift-cache: no caches configured for this job (no plugin options, no .buildkite/cache.yml); nothing to \(phase)")
                return .success(nil)
            }
            let caches = try ResolvedCache.resolveAll(configuration, environment: environment)
            let store = try StoreLocation.resolve(option: configuration.options.store, environment: environment)
            return .success(CommandSetup(configuration: configuration, caches: caches, store: store))
        } catch {
            log.errorSection(":warning: swift-cache: configuration error")
            log.line("\(error)")
            log.line("Fix the cache definition above; the job stops here so a broken cache setup is not silently ignored.")
            return .failure(.configurationError)
        }
    }
}

/// The binaries' exit statuses, kept in one place so the hooks and the README agree.
public enum JobExitStatus: Int32, Error, Sendable {
    case success = 0
    /// A store or archive failure with `fail-on-error: true`.
    case cacheFailure = 1
    /// Bad configuration: always fails the job, whatever the failure policy.
    case configurationError = 2
    /// SIGTERM or SIGINT: the job was cancelled.
    case cancelled = 130
}
