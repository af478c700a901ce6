/// Maps positions in the raw input to what a user sees in an editor.
///
/// libyaml's reader errors (bad UTF-8, control characters) carry only a byte
/// offset, and its other errors a character position without the character:
/// both need the input to become a useful message.
struct SourceText {
    let bytes: UnsafeBufferPointer<UInt8>

    /// The 1-based line and column of a byte offset. Line breaks are the ones
    /// libyaml counts (LF, CR, CR LF, NEL, LS, PS); the column counts
    /// characters, as libyaml's own marks do.
    func mark(atByteOffset offset: Int) -> YAMLMark {
        let end = Swift.min(Swift.max(offset, 0), bytes.count)
        var line = 1
        var column = 1
        var index = 0
        while index < end {
            let breakLength = lineBreakLength(at: index)
            if breakLength > 0 {
                line += 1
                column = 1
                index += breakLength
                continue
            }
            // Count one column per character: skip UTF-8 continuation bytes.
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        // A break that straddles `end` (CR of a CR LF) still ends its line.
        return YAMLMark(line: line, column: column)
    }

    /// The character at a 1-based mark, or nil when the mark is past the end
    /// of its line or of the input.
    func character(at mark: YAMLMark) -> Unicode.Scalar? {
        var line = 1
        var index = 0
        while line < mark.line, index < bytes.count {
            let breakLength = lineBreakLength(at: index)
            if breakLength > 0 {
                line += 1
                index += breakLength
            } else {
                index += 1
            }
        }
        guard line == mark.line else { return nil }
        var column = 1
        while index < bytes.count, lineBreakLength(at: index) == 0 {
            let length = scalarLength(at: index)
            if column == mark.column {
                let slice = UnsafeBufferPointer(rebasing: bytes[index..<Swift.min(index + length, bytes.count)])
                return String(decoding: slice, as: UTF8.self).unicodeScalars.first
            }
            column += 1
            index += length
        }
        return nil
    }

    private func lineBreakLength(at index: Int) -> Int {
        switch bytes[index] {
        case 0x0A:
            return 1
        case 0x0D:
            return index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
        case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0x85:
            return 2
        case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80
            && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
            return 3
        default:
            return 0
        }
    }

    private func scalarLength(at index: Int) -> Int {
        let lead = bytes[index]
        if lead < 0x80 { return 1 }
        if lead & 0xE0 == 0xC0 { return 2 }
        if lead & 0xF0 == 0xE0 { return 3 }
        if lead & 0xF8 == 0xF0 { return 4 }
        return 1
    }
}
