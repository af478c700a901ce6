/// A per-cache result that carries how long its cache took, for the result lines.
protocol TimedResult {
    var duration: Duration { get set }
}

extension RestoreResult: TimedResult {}
extension SaveResult: TimedResult {}

/// `work`'s result with the time it took.
func timed<Result: TimedResult>(_ work: () async -> Result) async -> Result {
    let started = ContinuousClock.now
    var result = await work()
    result.duration = ContinuousClock.now - started
    return result
}
