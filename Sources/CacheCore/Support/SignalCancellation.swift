import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How long cleanup may take after SIGTERM before the process ends anyway.
let cancellationGrace: DispatchTimeInterval = .seconds(3)

/// The agent sends SIGTERM when a job is cancelled (and the user may press ^C locally). Turning the
/// signal into task cancellation ends every retry wait at once and lets each step's cleanup (staging
/// trees, temp archives) run, instead of dying with half-written files around.
///
/// SIGPIPE is ignored as well: a reader that goes away (an agent helper, a closed log pipe) turns
/// a write into an EPIPE error we report, instead of killing the process mid-job.
public func cancellingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
    signal(SIGPIPE, SIG_IGN)
    let task = Task { await body() }
    var sources: [DispatchSourceSignal] = []
    for signalNumber in [SIGTERM, SIGINT] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            task.cancel()
            // Cleanup normally ends within milliseconds; a thread blocked in a system call that
            // cancellation cannot reach must not keep a cancelled job alive. The next run removes
            // any staging tree left behind.
            DispatchQueue.global().asyncAfter(deadline: .now() + cancellationGrace) { exit(JobExitStatus.cancelled.rawValue) }
        }
        source.resume()
        sources.append(source)
    }
    let result = await task.value
    for source in sources { source.cancel() }
    return result
}
