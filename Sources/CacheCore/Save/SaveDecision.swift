/// Whether this job saves at all: the `save-when` option against the command's exit status, and
/// read-only pull requests from forks (an outsider must not write what `main` restores).
public enum SaveDecision {
    /// nil: go ahead; otherwise why not.
    public static func reasonToSkip(_ options: PluginOptions, environment: JobEnvironment) -> String? {
        let status = environment.commandExitStatus ?? 0
        switch options.saveWhen {
        case .never: return "save-when is 'never'"
        case .success where status != 0: return "the command failed (exit status \(status)) and save-when is 'success'"
        case .failure where status == 0: return "the command succeeded and save-when is 'failure'"
        default: break
        }
        if let patterns = options.saveBranches, !SaveBranches.allows(environment.branch, patterns: patterns) {
            return "branch '\(environment.branch)' is not in save-branches (\(patterns.joined(separator: ", ")))"
        }
        if environment.isForkPullRequest && !options.saveOnForkPullRequests {
            return "this is a pull request from a fork, which may read caches but not write them (see save-on-fork-pull-requests)"
        }
        return nil
    }
}
