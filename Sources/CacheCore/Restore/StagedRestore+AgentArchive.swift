import CacheArchive

extension StagedRestore {
    /// An archive in the agent's zip format, extracted into staging trees beside the targets:
    /// the reader places each entry by its anchor (`~`, `.`, `/`) and our targets' resolved paths.
    static func extractAgentArchive(blob: LocalBlob, cache: ResolvedCache, environment: JobEnvironment,
                                    log: BuildkiteLog) async throws -> StagedRestore {
        let planned = try await plan(cache)
        var destinations: [String: String] = [:]
        for item in planned { destinations[item.target] = item.staging }
        let bases: [AgentAnchor: String] = [.home: environment.homeDirectory, .workingDirectory: environment.checkoutDirectory, .root: "/"]
        return try await staged(planned, cache: cache, log: log) { [destinations] isCancelled in
            try AgentArchiveReader.extract(from: blob.path, anchorBases: bases, destinations: destinations,
                                           limits: .default, symlinks: cache.symlinks, isCancelled: isCancelled)
        }
    }
}

extension AgentArchiveTarget {
    /// A cache path as the agent classifies it: `~/x` below home, a relative path below the
    /// checkout, an absolute path below `/`.
    init(_ path: CachePath) {
        let anchor: AgentAnchor = switch path.root {
        case .home: .home
        case .checkout: .workingDirectory
        case .absolute: .root
        }
        self.init(anchor: anchor, relativePath: path.relative, absolutePath: path.absolutePath)
    }
}
