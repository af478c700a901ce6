import Foundation

/// One line from a helper process (without its line feed), or what came before the end of the
/// stream: "" when the writer went away without a word. Read on a thread of its own, because the
/// read blocks until the process writes or every writer has closed its end, so a test waits for an
/// event, never for an amount of time.
public func readLine(_ handle: FileHandle) async -> String {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            var bytes: [UInt8] = []
            while true {
                let data = handle.readData(ofLength: 1)
                if data.isEmpty || data.first == 0x0A { break }
                bytes += data
            }
            continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
        }
    }
}
