import AsyncHTTPClient

/// Runs `body` with a new HTTP client of `configuration`, and shuts the client down however `body`
/// ends: a client that goes away without `shutdown` is a fatal error, so a failing test would
/// crash the whole run instead of failing on its own.
public func withHTTPClient<T: Sendable>(_ configuration: HTTPClient.Configuration,
                                        _ body: (HTTPClient) async throws -> T) async throws -> T {
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    let outcome: Result<T, any Error>
    do {
        outcome = .success(try await body(http))
    } catch {
        outcome = .failure(error)
    }
    try await http.shutdown()
    return try outcome.get()
}
