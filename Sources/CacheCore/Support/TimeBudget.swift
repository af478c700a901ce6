import CacheRetry
import Synchronization

/// A total time limit for one side of a job (`restore-timeout`, `save-timeout`), over all its
/// caches. Per-call timeouts bound each request, but retries of a store that hangs still add up;
/// this bounds the sum, so a job is never held for long by its cache.
///
/// When the limit passes, the caches still running are cancelled (a cancelled upload is aborted,
/// a cancelled restore leaves the old files) and reported by `late`; those that finished keep
/// their results. The wait runs on the injected clock: tests end it when they choose.
struct TimeBudget: Sendable {
    let limit: Duration
    let clock: any RetryClock
    /// `restore-timeout`: the option that sets it, for the reason of a late cache.
    var option = "the time budget"
    /// `restored`, `saved`.
    var doing = "done"

    /// Why a cache that did not finish in time failed.
    var lateReason: String {
        "not \(doing) within \(option) (\(SideTimeout.describe(limit))): the store is too slow or not answering"
    }

    private final class State: Sendable {
        let value = Mutex<(timedOut: Bool, results: [Int: any Sendable])>((false, [:]))
    }

    func forEach<Item: Sendable, Result: Sendable>(
        _ items: [Item], concurrency: Int, work: @Sendable @escaping (Item) async -> Result,
        late: @Sendable (Item) -> Result
    ) async -> [Result] {
        let state = State()
        let clock = self.clock
        let limit = self.limit
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = await concurrentMap(Array(items.indices), limit: concurrency) { index in
                    let result = await work(items[index])
                    state.value.withLock { if !$0.timedOut { $0.results[index] = result } }
                }
            }
            group.addTask {
                // Ends early, without a timeout, when the job itself is cancelled.
                guard (try? await clock.sleep(for: limit)) != nil else { return }
                state.value.withLock { $0.timedOut = true }
            }
            await group.next()
            group.cancelAll()
        }
        let finished = state.value.withLock { $0.results }
        return items.indices.map { index in (finished[index] as? Result) ?? late(items[index]) }
    }
}
