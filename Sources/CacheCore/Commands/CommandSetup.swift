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
            try checkScopeIsUTF8(environment)
            let caches = try ResolvedCache.resolveAll(configuration, environment: environment).filter { cache in
                guard let reason = cache.paths.lazy.compactMap({
                    $0.escapingParent(checkout: environment.checkoutDirectory, home: environment.homeDirectory)
                }).first else { return true }
                log.warning("\(cache.id): skipped: \(reason); a cache path must stay inside it, so this cache is neither restored nor saved")
                return false
            }
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

extension CommandSetup {
    /// Entries are scoped by these names: a value that is not UTF-8 would be read with U+FFFD in
    /// place of its bad bytes, so two different branches could share (and poison) one scope.
    static func checkScopeIsUTF8(_ environment: JobEnvironment) throws(ConfigurationError) {
        for name in ["BUILDKITE_ORGANIZATION_SLUG", "BUILDKITE_PIPELINE_SLUG", "BUILDKITE_BRANCH",
                     "BUILDKITE_PIPELINE_DEFAULT_BRANCH"] where environment.nonUTF8Names.contains(name) {
            throw ConfigurationError(source: name, mark: nil,
                message: "holds bytes that are not UTF-8; caches are scoped by it and such a name cannot be kept apart "
                    + "from others. Use a UTF-8 name (or remove the plugin from this step)")
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
