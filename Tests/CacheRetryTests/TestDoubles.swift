import CacheRetry
import Foundation

/// A value shared between a test and the closures it hands to the retrier.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    var current: Value { lock.withLock { value } }

    @discardableResult
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.withLock { body(&value) }
    }
}

/// Records every wait the retrier asks for and returns at once.
struct VirtualClock: RetryClock {
    let sleeps = Locked<[Duration]>([])

    func sleep(for duration: Duration) async throws {
        sleeps.withLock { $0.append(duration) }
    }
}

/// Hands out the given units in order, then repeats the last one; records
/// how many were drawn.
struct ScriptedRandom: RetryRandomSource {
    private let units: [Double]
    let drawn = Locked(0)

    init(_ units: Double...) { self.units = units }

    func nextUnit() -> Double {
        let index = drawn.withLock { count in
            defer { count += 1 }
            return count
        }
        return units[Swift.min(index, units.count - 1)]
    }
}

/// Collects the retrier's log lines.
struct LogLines {
    let lines = Locked<[String]>([])
    var sink: @Sendable (String) -> Void {
        { [lines] line in lines.withLock { $0.append(line) } }
    }
}

struct TransientError: RetryableError, Equatable, CustomStringConvertible {
    let attempt: Int
    var isRetryable: Bool { true }
    var description: String { "store timed out (attempt \(attempt))" }
}

struct FinalError: RetryableError, Equatable, CustomStringConvertible {
    var isRetryable: Bool { false }
    var description: String { "access denied" }
}

struct PlainError: Error, Equatable {}

/// A body that fails with `TransientError` for the first `failures` calls,
/// then returns `value`; counts its calls.
struct FlakyCall: Sendable {
    let failures: Int
    let value: String
    let calls = Locked(0)

    init(failures: Int, then value: String = "entry") {
        self.failures = failures
        self.value = value
    }

    func callAsFunction() throws -> String {
        let call = calls.withLock { count in
            count += 1
            return count
        }
        if call <= failures { throw TransientError(attempt: call) }
        return value
    }
}
