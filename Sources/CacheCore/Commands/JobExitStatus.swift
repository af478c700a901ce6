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
