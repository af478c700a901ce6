import CacheRetry

/// What both binaries do first: load the configuration and resolve every cache, reporting a
/// configuration error in a `+++` section so the agent opens it.
struct CommandSetup {
    let configuration: Configuration
    let caches: [ResolvedCache]
    let store: any CacheStore

    enum Preparation {
        /// Stop now with this status: a configuration error, nothing configured, or a dry run done.
        case stop(JobExitStatus)
        case run(CommandSetup)
    }

    /// The common start of both binaries: load, resolve, and handle `--dry-run`.
    static func prepare(environment: JobEnvironment, log: BuildkiteLog, phase: String, dryRun: Bool) -> Preparation {
        switch load(environment: environment, log: log, phase: phase) {
        case .failure(let status): return .stop(status)
        case .success(nil): return .stop(.success)
        case .success(let setup?):
            if dryRun {
                DryRun.print(setup.caches, store: setup.store.displayName, log: log)
                return .stop(.success)
            }
            return .run(setup)
        }
    }

    /// The job's store and log with a retrier on `policy`; retry lines go to the log, indented
    /// under the cache they belong to.
    func context(policy: RetryPolicy, environment: JobEnvironment, log: BuildkiteLog,
                 clock: any RetryClock, random: any RetryRandomSource) -> JobContext {
        let retrier = Retrier(policy: policy, clock: clock, random: random) { line in log.line("   \(line)") }
        return JobContext(environment: environment, store: store, log: log, retrier: retrier)
    }

    /// nil with a status: stop now with that exit status (0 when there is nothing to do).
    static func load(environment: JobEnvironment, log: BuildkiteLog, phase: String) -> Result<CommandSetup?, JobExitStatus> {
        do {
            guard let configuration = try ConfigurationLoader.load(environment) else {
                log.line("swift-cache: no caches configured for this job (no plugin options, no .buildkite/cache.yml); nothing to \(phase)")
                return .success(nil)
            }
            let caches = try ResolvedCache.resolveAll(configuration, environment: environment)
            let store = try StoreLocation.resolve(option: configuration.options.store, environment: environment, log: log)
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
