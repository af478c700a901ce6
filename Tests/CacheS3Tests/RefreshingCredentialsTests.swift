import Foundation
import Synchronization
import Testing
@testable import CacheS3

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let moment = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { moment.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { moment.withLock { $0 += seconds } }
}

/// Hands out numbered temporary credentials valid for `lifetime` from the clock's now, or fails
/// the way it is told to.
final class CountingProvider: CredentialProvider {
    let clock: ManualClock
    let lifetime: TimeInterval
    private let state = Mutex<(count: Int, failure: S3CredentialsError?)>((0, nil))

    init(clock: ManualClock, lifetime: TimeInterval = 15 * 60) {
        self.clock = clock
        self.lifetime = lifetime
    }

    var fetches: Int { state.withLock { $0.count } }
    func failNext(with error: S3CredentialsError?) { state.withLock { $0.failure = error } }

    func fetch() async throws -> S3Credentials {
        let (number, failure) = state.withLock { state in
            state.count += 1
            return (state.count, state.failure)
        }
        if let failure { throw failure }
        return S3Credentials(accessKeyID: "ASIATEST\(number)", secretAccessKey: "secret-\(number)-swiftcache",
                             sessionToken: "token-\(number)", expiration: clock.now.addingTimeInterval(lifetime), source: "the test provider")
    }
}

final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Temporary credentials are refreshed before they expire")
struct RefreshingCredentialsTests {
    @Test func keptWhileValidAndFetchedAgainBeforeTheExpiry() async throws {
        let clock = ManualClock()
        let provider = CountingProvider(clock: clock)
        let lines = Lines()
        let credentials = RefreshingCredentials(provider, now: { clock.now }, report: lines.add)
        #expect(try await credentials.current().accessKeyID == "ASIATEST1")
        clock.advance(9 * 60)  // 6 minutes left: still good
        #expect(try await credentials.current().accessKeyID == "ASIATEST1")
        clock.advance(2 * 60)  // 4 minutes left: inside the margin, fetched again
        #expect(try await credentials.current().accessKeyID == "ASIATEST2")
        #expect(provider.fetches == 2)
        // One line, at the first fetch, naming the source and never a secret.
        #expect(lines.all.count == 1)
        #expect(lines.all[0].contains("the test provider") && lines.all[0].contains("valid until"))
        #expect(!lines.all[0].contains("secret-1") && !lines.all[0].contains("ASIATEST1"))
        #expect(credentials.secretValues.contains("secret-1-swiftcache") && credentials.secretValues.contains("secret-2-swiftcache"))
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = ManualClock()
        let provider = CountingProvider(clock: clock)
        let credentials = RefreshingCredentials(provider, now: { clock.now })
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0 ..< 16 { group.addTask { try await credentials.current().accessKeyID } }
            for try await key in group { #expect(key == "ASIATEST1") }
        }
        #expect(provider.fetches == 1)
    }

    @Test func aFailedRefreshKeepsTheOldCredentialsWhileTheyLast() async throws {
        let clock = ManualClock()
        let provider = CountingProvider(clock: clock)
        let credentials = RefreshingCredentials(provider, now: { clock.now })
        _ = try await credentials.current()
        provider.failNext(with: S3CredentialsError(message: "STS is down", isRetryable: true))
        clock.advance(12 * 60)
        #expect(try await credentials.current().accessKeyID == "ASIATEST1")
        clock.advance(4 * 60)  // expired now
        await #expect(throws: S3CredentialsError.self) { try await credentials.current() }
        provider.failNext(with: nil)
        #expect(try await credentials.current().accessKeyID.hasPrefix("ASIATEST"))
    }

    @Test func aLastingFailureIsRememberedAPassingOneIsNot() async throws {
        let clock = ManualClock()
        let passing = CountingProvider(clock: clock)
        passing.failNext(with: S3CredentialsError(message: "503", isRetryable: true))
        let retried = RefreshingCredentials(passing, now: { clock.now })
        await #expect(throws: S3CredentialsError.self) { try await retried.current() }
        passing.failNext(with: nil)
        #expect(try await retried.current().accessKeyID == "ASIATEST2")

        let lasting = CountingProvider(clock: clock)
        lasting.failNext(with: S3CredentialsError(message: "no credentials"))
        let remembered = RefreshingCredentials(lasting, now: { clock.now })
        await #expect(throws: S3CredentialsError.self) { try await remembered.current() }
        await #expect(throws: S3CredentialsError.self) { try await remembered.current() }
        #expect(lasting.fetches == 1)
    }
}
