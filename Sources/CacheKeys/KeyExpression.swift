#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsCompat

/// One parsed `{{ ... }}` action. Each case says where its value comes from; rendering is the only
/// place that reads the context.
enum KeyExpression: Sendable {
    /// `{{ "text" }}`: Go templates' way to put `{{` or `}}` into the output.
    case literal(String)
    case cacheID
    case agentOS
    case agentArch
    /// CircleCI's `{{ arch }}`: the OS and the architecture together ("linux-amd64"). CircleCI's
    /// own value has a version suffix that means nothing outside CircleCI, so we drop it.
    case platform
    /// The nienbo plugin's `{{ runner.os }}`: "Linux", "macOS", "Windows" or "Generic".
    case runnerOS
    /// `{{ runner.arch }}` as GitHub Actions spells it: "X64", "ARM64", "X86", "ARM".
    case runnerArch
    /// `{{ env "NAME" }}`, `{{ env.NAME }}`, `{{ .Environment.NAME }}`.
    case environment(String)
    /// A Buildkite variable without which the key would be meaningless (`git.branch` and friends).
    case required(variable: String, spelledAs: String)
    case checksum([String])
    case epoch
    case date(DateFormat)

    func render(in context: KeyContext, template: String, column: Int) throws(KeyTemplateError) -> String {
        switch self {
        case .literal(let text):
            return text
        case .cacheID:
            return context.cacheID.trimming(.whitespacesAndNewlines)
        case .agentOS:
            return context.agentOS
        case .agentArch:
            return context.agentArch
        case .platform:
            return "\(context.agentOS)-\(context.agentArch)"
        case .runnerOS:
            switch context.agentOS {
            case "linux", "freebsd": return "Linux"
            case "darwin": return "macOS"
            case "windows": return "Windows"
            default: return "Generic"
            }
        case .runnerArch:
            switch context.agentArch {
            case "amd64": return "X64"
            case "arm64": return "ARM64"
            case "386": return "X86"
            case "arm": return "ARM"
            default: return context.agentArch.uppercased()
            }
        case .environment(let name):
            return (context.environment[name] ?? "").trimming(.whitespacesAndNewlines)
        case .required(let variable, let spelling):
            let value = (context.environment[variable] ?? "").trimming(.whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw KeyTemplateError(
                    message: "{{ \(spelling) }} needs \(variable), which is not set in the job's environment; the Buildkite agent sets it for every job, so set it yourself when running elsewhere or take {{ \(spelling) }} out of the key",
                    template: template, column: column)
            }
            return value
        case .checksum(let patterns):
            do {
                return try FileChecksum.checksum(of: patterns, in: context.checkoutDirectory)
            } catch {
                throw KeyTemplateError(message: error.message, template: template, column: column)
            }
        case .epoch:
            return String(Int64(context.now.timeIntervalSince1970.rounded(.down)))
        case .date(let format):
            return format.render(context.now)
        }
    }
}
