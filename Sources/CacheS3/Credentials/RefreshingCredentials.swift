#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The credentials every request of a store is signed with: fetched from the provider on first use,
/// kept while they are valid, and fetched again shortly before they expire, so a multipart upload
/// that outlives one set of temporary credentials signs its later parts with the next set.
///
/// Concurrent requests that find the credentials stale share one fetch. A fetch that fails for good
/// (no credentials configured) is remembered, so every other call of the job fails at once with the
/// same message instead of asking the metadata service again; a passing failure is not remembered.
/// When a refresh fails while the old credentials still have time left, the old ones are used.
///
/// It also remembers every secret it handed out, so error messages that echo a server's words can
/// be scrubbed of all of them, including those of earlier, refreshed sets.
public final class RefreshingCredentials: Sendable {
    private let provider: any CredentialProvider
    private let now: @Sendable () -> Date
    private let report: @Sendable (String) -> Void
    /// Fetched again this long before the expiry: longer than any single request may take.
    public static let refreshMargin: TimeInterval = 5 * 60

    private struct State {
        var current: S3Credentials?
        var pending: Task<S3Credentials, any Error>?
        var finalFailure: S3CredentialsError?
        var secrets: [String] = []
        var reported = false
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - now: decides when credentials count as about to expire; injected by tests.
    ///   - report: receives one line, the first time credentials are found, naming their source
    ///     (never a secret).
    public init(_ provider: any CredentialProvider, now: @escaping @Sendable () -> Date = Date.init,
                report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.provider = provider
        self.now = now
        self.report = report
    }

    public convenience init(_ credentials: S3Credentials) {
        self.init(StaticCredentials(credentials))
    }

    /// Credentials valid for at least `refreshMargin` more, fetching them if needed.
    public func current() async throws -> S3Credentials {
        let moment = now()
        enum Next { case ready(S3Credentials), wait(Task<S3Credentials, any Error>) }
        let next: Next = try state.withLock { state in
            if let failure = state.finalFailure { throw failure }
            if let current = state.current, !Self.isStale(current, at: moment) { return .ready(current) }
            if let pending = state.pending { return .wait(pending) }
            let provider = self.provider
            let pending = Task { try await provider.fetch() }
            state.pending = pending
            return .wait(pending)
        }
        let task: Task<S3Credentials, any Error>
        switch next {
        case .ready(let current): return current
        case .wait(let pending): task = pending
        }
        do {
            let fresh = try await task.value
            let first = state.withLock { state in
                state.pending = nil
                state.current = fresh
                for secret in fresh.secretValues where !state.secrets.contains(secret) { state.secrets.append(secret) }
                defer { state.reported = true }
                return !state.reported
            }
            if first { report(Self.line(for: fresh)) }
            return fresh
        } catch {
            let fallback: S3Credentials? = state.withLock { state in
                state.pending = nil
                if let failure = error as? S3CredentialsError, !failure.isRetryable, state.current == nil {
                    state.finalFailure = failure
                }
                guard let current = state.current, let expiry = current.expiration, expiry > moment else { return nil }
                return current
            }
            if let fallback { return fallback }
            throw error
        }
    }

    /// The source of the credentials in use, for hints ("check the AWS credentials from …").
    public var sourceDescription: String {
        state.withLock { $0.current?.description } ?? "AWS credentials"
    }

    /// Every secret handed out so far.
    var secretValues: [String] { state.withLock { $0.secrets } }

    static func isStale(_ credentials: S3Credentials, at moment: Date) -> Bool {
        guard let expiry = credentials.expiration else { return false }
        return expiry.timeIntervalSince(moment) < refreshMargin
    }

    static func line(for credentials: S3Credentials) -> String {
        var text = "S3 credentials: \(credentials.source)"
        if let expiry = credentials.expiration {
            text += ", temporary, valid until \(SigV4Signer.dateStamps(expiry).timestamp) (refreshed before then)"
        }
        return text
    }
}
