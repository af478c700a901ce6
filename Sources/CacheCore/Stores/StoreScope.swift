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
    public static func readOrder(_ environment: JobEnvironment) -> [StoreScope] {
        let own = StoreScope(organization: environment.organization, pipeline: environment.pipeline, branch: environment.branch)
        guard let fallback = environment.defaultBranch, fallback != own.branch else { return [own] }
        return [own, StoreScope(organization: own.organization, pipeline: own.pipeline, branch: fallback)]
    }
}
