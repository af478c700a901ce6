import Foundation
import Synchronization

/// Writes the job log the way Buildkite renders it: `~~~` opens a collapsed section, `---` an
/// expanded one, `+++` one that holds an error (and the agent scrolls to it). The log is not a
/// terminal, so there are no carriage returns or colours, only whole lines, written at once so that
/// concurrent caches never interleave halves of lines.
public final class BuildkiteLog: Sendable {
    private let redactor: SecretRedactor
    private let sink: @Sendable (String) -> Void
    private let warnings = Mutex<[String]>([])

    public init(redactor: SecretRedactor, sink: (@Sendable (String) -> Void)? = nil) {
        self.redactor = redactor
        self.sink = sink ?? { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    public func collapsedSection(_ title: String) { emit("~~~ \(title)") }
    public func section(_ title: String) { emit("--- \(title)") }
    public func errorSection(_ title: String) { emit("+++ \(title)") }
    public func line(_ text: String) { emit(text) }

    /// A problem the job survives; collected so the summary can repeat them.
    public func warning(_ text: String) {
        warnings.withLock { $0.append(text) }
        emit("⚠️  \(text)")
    }

    public var collectedWarnings: [String] { warnings.withLock { $0 } }

    private func emit(_ text: String) {
        let clean = redactor.redact(text)
        sink(clean.hasSuffix("\n") ? clean : clean + "\n")
    }
}
