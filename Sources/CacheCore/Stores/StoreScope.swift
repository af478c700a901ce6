/// Where entries live: organization, pipeline and branch, so that one pipeline never restores
/// another's caches and a branch reads its own entries before the default branch's.
public struct StoreScope: Sendable, Hashable, CustomStringConvertible {
    public let organization: String
    public let pipeline: String
    public let branch: String

    public init(organization: String, pipeline: String, branch: String) {
        self.organization = organization
        self.pipeline = pipeline
        self.branch = branch
    }

    public var description: String { "\(organization)/\(pipeline)@\(branch)" }

    /// The scopes a restore reads, in order: the job's branch, then the pipeline's default branch.
    /// With the agent's `save_scopes`, see `saving(_:saveScopes:)`: the scope a save of this job
    /// writes, then, when entries are kept per branch (and not per build), the default branch's.
    public static func readOrder(_ environment: JobEnvironment, saveScopes: SaveScopes? = nil) -> [StoreScope] {
        let own = saving(environment, saveScopes: saveScopes)
        let perBranch = saveScopes.map { $0.contains(.branch) && !$0.contains(.build) } ?? true
        guard perBranch, let fallback = environment.defaultBranch, fallback != environment.branch else { return [own] }
        return [own, StoreScope(organization: own.organization, pipeline: own.pipeline,
                                branch: branchName(fallback, environment, saveScopes: saveScopes))]
    }

    /// Where a save of this job puts its entries. Without `save_scopes`: the organization, the
    /// pipeline and the branch. With them, each scope that is off widens the entry's audience:
    /// `pipeline: false` shares it with every pipeline of the organization (the pipeline name
    /// becomes `*`), `branch: false` with every branch (`*`), and `build: true` narrows it to this
    /// build (`~build:<BUILDKITE_BUILD_ID>` after the branch part). `*`, `~` and `:` cannot occur in
    /// a pipeline slug or a git branch name, so these scopes never meet a real one.
    public static func saving(_ environment: JobEnvironment, saveScopes: SaveScopes? = nil) -> StoreScope {
        let pipeline = saveScopes.map { $0.contains(.pipeline) } ?? true ? environment.pipeline : "*"
        return StoreScope(organization: environment.organization, pipeline: pipeline,
                          branch: branchName(environment.branch, environment, saveScopes: saveScopes))
    }

    private static func branchName(_ branch: String, _ environment: JobEnvironment, saveScopes: SaveScopes?) -> String {
        guard let saveScopes else { return branch }
        return (saveScopes.contains(.branch) ? branch : "*")
            + (saveScopes.contains(.build) ? "~build:" + (environment["BUILDKITE_BUILD_ID"] ?? "local") : "")
    }
}
