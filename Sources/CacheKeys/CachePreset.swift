/// A ready-made cache definition for one ecosystem, chosen with `template: NAME` in a cache
/// definition. Each key is `{{ id }}-{{ agent.os }}-{{ agent.arch }}-{{ checksum LOCKFILE }}`:
/// the OS and architecture are in it because installed dependencies often contain native code.
/// The one fallback key is that key without the checksum, so a changed lock file still restores
/// the newest cache for the same platform and the package manager only fetches the difference.
///
/// `node-npm`, `node-yarn` and `ruby` carry the names and keys of the Buildkite agent's own
/// templates, so a cache file written for `buildkite-agent cache` works unchanged. (The agent's
/// templates add a second fallback, `{{ id }}-`, that crosses operating systems and
/// architectures; we leave it out because restoring another platform's native modules breaks
/// builds rather than speeding them up.)
///
/// Paths beginning with `~/` are in the agent user's home directory; the others are relative to
/// the checkout.
public struct CachePreset: Sendable {
    public let name: String
    public let summary: String
    public let key: String
    public let fallbackKeys: [String]
    public let paths: [String]
    /// The lock files (or globs) the key is a checksum of.
    public let lockFiles: [String]

    private init(_ name: String, _ summary: String, checksum patterns: [String], paths: [String]) {
        let platform = "{{ id }}-{{ agent.os }}-{{ agent.arch }}-"
        let quoted = patterns.map { "\"\($0)\"" }.joined(separator: " ")
        self.name = name
        self.summary = summary
        self.key = platform + "{{ checksum \(quoted) }}"
        self.fallbackKeys = [platform]
        self.paths = paths
        self.lockFiles = patterns
    }

    public static let all: [CachePreset] = [
        CachePreset("node-npm", "npm: node_modules, keyed on package-lock.json",
                    checksum: ["package-lock.json"], paths: ["node_modules"]),
        CachePreset("node-yarn", "Yarn: node_modules, keyed on yarn.lock",
                    checksum: ["yarn.lock"], paths: ["node_modules"]),
        CachePreset("node-pnpm", "pnpm: node_modules, keyed on pnpm-lock.yaml",
                    checksum: ["pnpm-lock.yaml"], paths: ["node_modules"]),
        CachePreset("ruby", "Bundler: vendor/bundle, keyed on Gemfile.lock",
                    checksum: ["Gemfile.lock"], paths: ["vendor/bundle"]),
        CachePreset("bundler", "the same as ruby",
                    checksum: ["Gemfile.lock"], paths: ["vendor/bundle"]),
        CachePreset("python-pip", "pip: its download cache, keyed on requirements*.txt",
                    checksum: ["requirements*.txt"], paths: ["~/.cache/pip"]),
        CachePreset("go", "Go: the module cache and build cache, keyed on go.sum",
                    checksum: ["go.sum"], paths: ["~/go/pkg/mod", "~/.cache/go-build"]),
        CachePreset("rust-cargo", "Cargo: the registry, git checkouts and target/, keyed on Cargo.lock",
                    checksum: ["Cargo.lock"], paths: ["~/.cargo/registry", "~/.cargo/git", "target"]),
        CachePreset("gradle", "Gradle: its caches and wrapper, keyed on every build script and the wrapper version",
                    checksum: ["**/*.gradle*", "**/gradle-wrapper.properties"],
                    paths: ["~/.gradle/caches", "~/.gradle/wrapper"]),
        CachePreset("maven", "Maven: the local repository, keyed on every pom.xml",
                    checksum: ["**/pom.xml"], paths: ["~/.m2/repository"]),
        CachePreset("swiftpm", "Swift Package Manager: .build, keyed on Package.resolved",
                    checksum: ["Package.resolved"], paths: [".build"]),
    ]

    /// The preset with exactly this name (names are lowercase, as the agent spells them).
    public static func named(_ name: String) -> CachePreset? {
        all.first { $0.name == name }
    }
}
