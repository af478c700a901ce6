/// Replaces the values of secret-looking environment variables in any text before it is printed.
/// Our own code never prints a credential on purpose; this is the net under that promise, for
/// messages that echo things we do not control (a server's error body, a path that embeds a token).
public struct SecretRedactor: Sendable {
    let secrets: [String]

    static let secretNameParts = ["SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY", "PRIVATE", "CREDENTIAL", "SESSION"]

    public init(environment: [String: String]) {
        secrets = environment
            .filter { name, value in
                value.count >= 6 && Self.secretNameParts.contains { name.uppercased().contains($0) }
            }
            .map(\.value)
            .sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return result
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
