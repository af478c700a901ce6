import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What both binaries do first: load the configuration and open the store, reporting a
/// configuration error in a `+++` section so the agent opens it. Keys are not rendered here:
/// post-command decides whether to save at all before it reads any file.
struct CommandSetup {
    let configuration: Configuration
    let store: OpenedStore

    /// A retrier on `policy`; retry lines go to the log, indented under the cache they belong to.
    func retrier(policy: RetryPolicy, log: BuildkiteLog, clock: any RetryClock, random: any RetryRandomSource) -> Retrier {
        Retrier(policy: policy, clock: clock, random: random) { line in log.line("   \(line)") }
    }

    /// The restore flow for the kind of store, chosen once.
    func restorer(retrier: Retrier, health: StoreHealth, environment: JobEnvironment, log: BuildkiteLog) -> any CacheRestoring {
        let options = configuration.options
        let mayWrite = !environment.isForkPullRequest || options.saveOnForkPullRequests
        switch store {
        case .keyed(let store):
            let context = JobContext(environment: environment, store: store, log: log, retrier: retrier, health: health)
            return Restorer(context: context, mayWrite: mayWrite)
        case .registry(let registry):
            return RegistryRestorer(registry: registry, environment: environment, log: log, retrier: retrier, health: health,
                                    mayWrite: mayWrite)
        }
    }

    /// The save flow for the kind of store, chosen once.
    func saver(retrier: Retrier, health: StoreHealth, environment: JobEnvironment, log: BuildkiteLog,
               now: @escaping @Sendable () -> Date) -> any CacheSaving {
        let options = configuration.options
        switch store {
        case .keyed(let store):
            let context = JobContext(environment: environment, store: store, log: log, retrier: retrier, health: health)
            return Saver(context: context, compressionLevel: options.compressionLevel, now: now)
        case .registry(let registry):
            return RegistrySaver(registry: registry, environment: environment, log: log, retrier: retrier, health: health)
        }
    }

    /// nil with a status: stop now with that exit status (0 when there is nothing to do).
    static func load(environment: JobEnvironment, log: BuildkiteLog, phase: String) -> Result<CommandSetup?, JobExitStatus> {
        let configuration: Configuration
        do {
            switch try ConfigurationLoader.loadForJob(environment) {
            case .nothing(let reason):
                log.line("swift-cache: \(reason); nothing to \(phase)")
                return .success(nil)
            case .configured(let loaded):
                configuration = loaded
            }
            try checkScopeIsUTF8(environment)
        } catch {
            return .failure(reportConfigurationError(error, log: log))
        }
        do {
            let store = try StoreLocation.resolveForJob(option: configuration.options.store, environment: environment, log: log)
            return .success(CommandSetup(configuration: configuration, store: store))
        } catch {
            log.errorSection(":warning: swift-cache: store error")
            log.line("\(error)")
            if case StoreError.missingCredentials = error {
                log.line("Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) "
                         + "in the agent's environment, or AWS_PROFILE with a credentials file; see the README's S3 section.")
            } else {
                log.line("Fix the store setting above (the 'store' option or BUILDKITE_CACHE_STORE_URL); the job stops here "
                         + "so a broken cache setup is not silently ignored.")
            }
            return .failure(.configurationError)
        }
    }

    /// Prints a configuration error in an error section and returns the status that ends the job.
    static func reportConfigurationError(_ error: ConfigurationError, log: BuildkiteLog) -> JobExitStatus {
        log.errorSection(":warning: swift-cache: configuration error")
        log.line("\(error)")
        if error.source == ConfigurationLoader.stepPluginSource {
            log.line("The agent passes no options at all to a plugin with a null option, so without this check the "
                     + "plugin would silently cache nothing.")
        }
        log.line("Fix the cache definition above; the job stops here so a broken cache setup is not silently ignored.")
        return .configurationError
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
