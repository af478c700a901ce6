/// Sizes, speeds, durations and counts as people read them in a log, without Foundation's
/// formatters (whose output changes with the locale of the agent).
enum Formatting {
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(oneDecimal(value)) \(units[unit])"
    }

    /// `1 file`, `2 files`, `1 entry`, `3 entries`: the plural is the singular + "s" unless given.
    static func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(number) \(number == 1 ? singular : plural ?? singular + "s")"
    }

    static func duration(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return "\(oneDecimal(seconds))s" }
        return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
    }

    static func speed(_ count: Int64, over duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        guard seconds > 0.0005 else { return "-" }
        return bytes(Int64(Double(count) / seconds)) + "/s"
    }

    /// How much smaller the archive is than its content. Tiny or empty content makes an archive
    /// larger than what it holds (headers, padding): that reads as `<0.1x`, never `0.0x`, and no
    /// content at all has no ratio.
    static func ratio(_ compressed: Int64, _ original: Int64) -> String {
        guard compressed > 0, original > 0 else { return "-" }
        let value = Double(original) / Double(compressed)
        return value < 0.05 ? "<0.1x" : oneDecimal(value) + "x"
    }

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
