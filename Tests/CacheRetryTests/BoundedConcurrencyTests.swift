import CacheRetry
import Synchronization
import Testing

/// The one bounded-concurrency helper, as the caches of a job and the parts of a transfer use it.
@Suite("Bounded concurrency")
struct BoundedConcurrencyTests {
    struct PartLost: Error, Equatable { let index: Int }

    final class InFlight: Sendable {
        private let counts = Mutex((now: 0, most: 0))
        func enter() { counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { counts.withLock { $0.now -= 1 } }
        var most: Int { counts.withLock { $0.most } }
    }

    @Test func resultsKeepTheInputOrderAndNoMoreThanTheLimitRunAtOnce() async {
        let inFlight = InFlight()
        let results = await concurrentMap(Array(0..<20), limit: 3) { item in
            inFlight.enter()
            await Task.yield()
            inFlight.leave()
            return item * 10
        }
        #expect(results == (0..<20).map { $0 * 10 })
        #expect(inFlight.most <= 3)
    }

    @Test func workThatCannotThrowRunsEveryItem() async {
        let results = await concurrentMap(Array(0..<5), limit: 2) { item -> Result<Int, PartLost> in
            item == 1 ? .failure(PartLost(index: 1)) : .success(item)
        }
        #expect(results.count == 5)
        #expect(results[1] == .failure(PartLost(index: 1)))
        #expect(results[4] == .success(4))
    }

    @Test func theFirstErrorOfThrowingWorkIsThrownAndNothingStartsAfterIt() async {
        let started = Mutex<[Int]>([])
        await #expect(throws: PartLost(index: 1)) {
            _ = try await concurrentMap(count: 5, limit: 1) { index throws(PartLost) -> Int in
                started.withLock { $0.append(index) }
                if index == 1 { throw PartLost(index: 1) }
                return index
            }
        }
        #expect(started.withLock { $0 } == [0, 1])
    }

    @Test func noItemsIsNoWork() async throws {
        #expect(try await concurrentMap(count: 0, limit: 4) { index throws(PartLost) in index }.isEmpty)
    }
}
