#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The format of `{{ date "..." }}`: a small strftime subset, always in UTC so that agents in
/// different time zones agree on the key. Typical use is a cache that rolls over on its own, e.g.
/// `{{ date "%G-W%V" }}` (ISO week) for a cache that should be rebuilt weekly.
struct DateFormat: Sendable {
    static let iso = try! DateFormat("%Y-%m-%d")
    static let directives = "%Y year, %m month, %d day, %H hour, %M minute, %S second, %j day of year, %G ISO week-year, %V ISO week, %u ISO weekday (1 = Monday), %% a percent sign"

    private enum Piece: Sendable {
        case text(String)
        case field(Character)
    }

    struct Invalid: Error {
        let message: String
        /// 0-based, in characters of the format.
        let offset: Int
    }

    private let pieces: [Piece]

    init(_ format: String) throws(Invalid) {
        let characters = Array(format)
        var pieces: [Piece] = []
        var text = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "%" else {
                text.append(character)
                index += 1
                continue
            }
            guard index + 1 < characters.count else {
                throw Invalid(message: "the date format ends with a lone '%'; write '%%' for a percent sign", offset: index)
            }
            let directive = characters[index + 1]
            switch directive {
            case "%":
                text.append("%")
            case "Y", "m", "d", "H", "M", "S", "j", "G", "V", "u":
                if !text.isEmpty { pieces.append(.text(text)); text = "" }
                pieces.append(.field(directive))
            default:
                throw Invalid(message: "unknown date directive '%\(directive)'; use \(Self.directives)", offset: index)
            }
            index += 2
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    func render(_ date: Date) -> String {
        let utc = TimeZone(identifier: "UTC")!
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = utc
        var iso = Calendar(identifier: .iso8601)
        iso.timeZone = utc
        let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let week = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)

        func padded(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
        }
        var result = ""
        for piece in pieces {
            switch piece {
            case .text(let text): result += text
            case .field("Y"): result += padded(parts.year, 4)
            case .field("m"): result += padded(parts.month, 2)
            case .field("d"): result += padded(parts.day, 2)
            case .field("H"): result += padded(parts.hour, 2)
            case .field("M"): result += padded(parts.minute, 2)
            case .field("S"): result += padded(parts.second, 2)
            case .field("j"): result += padded(gregorian.ordinality(of: .day, in: .year, for: date), 3)
            case .field("G"): result += padded(week.yearForWeekOfYear, 4)
            case .field("V"): result += padded(week.weekOfYear, 2)
            case .field("u"): result += String(((parts.weekday ?? 1) + 5) % 7 + 1)
            case .field: break
            }
        }
        return result
    }
}
