import CacheRetry

/// A failed call to the agent's cache API, classified the way the agent should have: 429, 5xx
/// and no answer at all are worth another try, and so is an answer whose body could not be read
/// or decoded, or is not JSON, whatever its status (a proxy's HTML page with 200 is not an
/// answer). Every other 4xx is final, with the server's message and what to do about it.
///
/// The description never holds the access token: it is built from the operation, the status and
/// the server's `message` only, and the log's redactor knows the token as a second net.
public struct RegistryError: Error, Sendable, RetryableError, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case status(Int, message: String?)
        case transport(String, isRetryable: Bool)
        case unreadableBody(status: Int, detail: String)
    }

    /// `retrieve`, `create`, …
    public let operation: String
    public let registry: String
    public let reason: Reason

    public var isRetryable: Bool {
        switch reason {
        case .status(let status, _): status == 429 || status == 408 || (500...599).contains(status)
        case .transport(_, let retryable): retryable
        case .unreadableBody: true
        }
    }

    public var status: Int? {
        switch reason {
        case .status(let status, _), .unreadableBody(let status, _): status
        case .transport: nil
        }
    }

    public var description: String {
        var text = "cache registry '\(registry)': \(operation) failed: "
        switch reason {
        case .status(let status, let message):
            text += "HTTP \(status)"
            if let message, !message.isEmpty { text += " \(message)" }
            if let hint = Self.hint(status: status, message: message) { text += "; \(hint)" }
        case .transport(let detail, _):
            text += detail
        case .unreadableBody(let status, let detail):
            text += "HTTP \(status) with an unreadable answer: \(detail)"
        }
        return text
    }

    static func hint(status: Int, message: String?) -> String? {
        switch status {
        case 401:
            "the agent access token was refused: the plugin uses the job's BUILDKITE_AGENT_ACCESS_TOKEN, which the agent sets; "
                + "check that the hook runs inside a Buildkite job and that BUILDKITE_AGENT_ENDPOINT is the agent's endpoint"
        case 403:
            "this agent may not use the registry: check the cluster's cache registry permissions"
        case 404 where message == "Cache registry not found":
            "check the registry name in the store URL (buildkite://NAME; buildkite:// alone is the cluster's default, '~')"
        case 400, 422:
            "the registry refused the request; this is most likely a bug of swift-cache, please report it with this line"
        default:
            nil
        }
    }
}
