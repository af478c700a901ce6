extension Duration {
    /// A wait as a person reads it in a log: `737ms`, `5.4s`, `2m 5s`.
    var retryDescription: String {
        let milliseconds = Int64(self.milliseconds.rounded())
        if milliseconds < 1_000 {
            return "\(milliseconds)ms"
        }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = (milliseconds + 500) / 1_000
        return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m \(seconds % 60)s"
    }
}
