import CacheEncoding
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Replaces secrets in any text before it is printed. Our own code never prints a credential on
/// purpose; this is the net under that promise, for messages that echo things we do not control
/// (a server's error body, a path that embeds a key rendered from a secret).
///
/// A secret is caught in every spelling it can take on the way to a log line: as is,
/// percent-encoded (store names and URLs encode `/` and `+`, which AWS secrets usually hold, and
/// either case of hex may come back from a server) and JSON-escaped (`\/`). Request signatures and
/// credential scopes that a server echoes (`Signature=…`, `X-Amz-Credential=…`) are redacted by
/// their shape, since the process never knew them as environment values.
public struct SecretRedactor: Sendable {
    let spellings: [String]

    static let secretNameParts = ["SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY", "PRIVATE", "CREDENTIAL", "SESSION"]
    static let signedFieldNames = ["X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "Credential"]

    /// Secrets whatever their length: the agent's job token opens the cache registry and the agent API.
    static let alwaysSecret = ["BUILDKITE_AGENT_ACCESS_TOKEN"]

    public init(environment: [String: String]) {
        self.init(secrets: environment
            .filter { name, value in
                Self.alwaysSecret.contains(name)
                    || (value.count >= 6 && Self.secretNameParts.contains { name.uppercased().contains($0) })
            }
            .map(\.value))
    }

    /// For secrets that do not come from the environment (a credentials file, a token endpoint).
    public init(secrets: [String]) {
        var all = Set<String>()
        for secret in secrets where !secret.isEmpty {
            all.insert(secret)
            all.insert(PercentEncoding.encode(secret))
            all.insert(PercentEncoding.encode(secret, lowercaseHex: true))
            all.insert(Self.jsonEscaped(secret))
        }
        spellings = all.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for spelling in spellings where result.contains(spelling) {
            result = result.replacing(spelling, with: "[REDACTED]")
        }
        return Self.redactingSignedFields(result)
    }

    /// `Name=value` for each signed field name, the value running to the next `&`, `,`, quote,
    /// angle bracket or white space.
    static func redactingSignedFields(_ text: String) -> String {
        guard signedFieldNames.contains(where: { text.contains($0 + "=") }) else { return text }
        var result = ""
        var rest = Substring(text)
        while let match = signedFieldNames.compactMap({ name in rest.firstRange(of: name + "=").map { (name, $0) } })
            .min(by: { $0.1.lowerBound < $1.1.lowerBound }) {
            result += rest[..<match.1.upperBound]
            rest = rest[match.1.upperBound...]
            let end = rest.firstIndex { "&,\"'<> \t\r\n".contains($0) } ?? rest.endIndex
            if end > rest.startIndex { result += "[REDACTED]" }
            rest = rest[end...]
        }
        return result + rest
    }

    static func jsonEscaped(_ text: String) -> String {
        text.replacing("\\", with: "\\\\")
            .replacing("\"", with: "\\\"")
            .replacing("/", with: "\\/")
    }
}
