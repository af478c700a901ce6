/// The names a key template may use, and how many arguments each takes.
///
/// Sources, so that a key copied from elsewhere keeps working:
/// - the Buildkite agent (`buildkite-agent cache`): `id`, `agent.os`, `agent.arch`, `env "NAME"`,
///   `checksum "glob" ...`. Like the agent, a missing or empty variable in `env` renders as an
///   empty string (a key may legitimately depend on an optional variable), and values are trimmed;
/// - the nienbo/cache-buildkite-plugin: `runner.os`, `env.NAME`, `git.branch`, `git.commit`,
///   single-quoted arguments (`checksum 'Gemfile.lock'`);
/// - CircleCI: `.Branch`, `.Revision`, `.BuildNum`, `.Environment.NAME`, `epoch`, `arch`;
/// - our own conveniences: `pipeline`, `organization`, `os`, `runner.arch`, `date ["FORMAT"]`.
///
/// `git.branch`, `git.commit`, `pipeline`, `organization` and the CircleCI build names read
/// Buildkite variables that every job has; when one is missing the key could not mean what it
/// says (every branch would share one cache), so rendering fails and names the variable, unlike
/// `env`. The branch is used verbatim (nienbo replaces `/` with `_`; our stores take any key).
enum KeyFunctions {
    private static let constants: [String: KeyExpression] = [
        "id": .cacheID,
        "agent.os": .agentOS,
        "os": .agentOS,
        "agent.arch": .agentArch,
        "arch": .platform,
        "runner.os": .runnerOS,
        "runner.arch": .runnerArch,
        "git.branch": .required(variable: "BUILDKITE_BRANCH", spelledAs: "git.branch"),
        ".Branch": .required(variable: "BUILDKITE_BRANCH", spelledAs: ".Branch"),
        "git.commit": .required(variable: "BUILDKITE_COMMIT", spelledAs: "git.commit"),
        ".Revision": .required(variable: "BUILDKITE_COMMIT", spelledAs: ".Revision"),
        ".BuildNum": .required(variable: "BUILDKITE_BUILD_NUMBER", spelledAs: ".BuildNum"),
        "pipeline": .required(variable: "BUILDKITE_PIPELINE_SLUG", spelledAs: "pipeline"),
        "organization": .required(variable: "BUILDKITE_ORGANIZATION_SLUG", spelledAs: "organization"),
        "epoch": .epoch,
    ]

    /// For error messages: every name, in the order a reader would look for them.
    static let summary = [
        "id", "agent.os", "agent.arch", "env \"NAME\"", "env.NAME", "checksum \"glob\" ...", "git.branch",
        "git.commit", "pipeline", "organization", "epoch", "date [\"%Y-%m-%d\"]", "runner.os", "runner.arch",
        "os", "arch", ".Branch", ".Revision", ".BuildNum", ".Environment.NAME",
    ].joined(separator: ", ")

    static func expression(named name: String, column: Int, arguments: [(value: String, column: Int)],
                           template: String) throws(KeyTemplateError) -> KeyExpression {
        func fail(_ message: String, at column: Int) -> KeyTemplateError {
            KeyTemplateError(message: message, template: template, column: column)
        }
        func noArguments(_ expression: KeyExpression) throws(KeyTemplateError) -> KeyExpression {
            if let extra = arguments.first {
                throw fail("'\(name)' takes no arguments; remove \"\(extra.value)\"", at: extra.column)
            }
            return expression
        }

        if let constant = constants[name] { return try noArguments(constant) }
        for prefix in ["env.", ".Environment."] where name.hasPrefix(prefix) {
            let variable = String(name.dropFirst(prefix.count))
            guard !variable.isEmpty, !variable.contains(".") else {
                throw fail("'\(name)' does not name a variable; write \(prefix)NAME, e.g. \(prefix)BUILDKITE_BRANCH", at: column)
            }
            return try noArguments(.environment(variable))
        }
        switch name {
        case "env":
            guard let variable = arguments.first else {
                throw fail("'env' needs the variable's name in quotes, e.g. {{ env \"BUILDKITE_BRANCH\" }}", at: column)
            }
            if arguments.count > 1 {
                throw fail("'env' takes one variable name; use one {{ env \"...\" }} per variable", at: arguments[1].column)
            }
            if variable.value.isEmpty || variable.value.contains("=") {
                throw fail("'\(variable.value)' is not a variable name", at: variable.column)
            }
            return .environment(variable.value)
        case "checksum":
            if arguments.isEmpty {
                throw fail("'checksum' needs at least one quoted file or glob, e.g. {{ checksum \"package-lock.json\" }}", at: column)
            }
            for argument in arguments {
                do {
                    _ = try GlobPattern(argument.value)
                } catch {
                    throw fail("checksum: \(error.message) (in pattern '\(argument.value)')", at: argument.column)
                }
            }
            return .checksum(arguments.map(\.value))
        case "date":
            if arguments.count > 1 {
                throw fail("'date' takes at most one format, e.g. {{ date \"%Y-%m\" }}", at: arguments[1].column)
            }
            guard let format = arguments.first else { return .date(.iso) }
            do {
                return .date(try DateFormat(format.value))
            } catch {
                throw fail(error.message, at: format.column + 1 + error.offset)
            }
        default:
            throw fail("unknown name '\(name)'; known: \(summary)", at: column)
        }
    }
}
