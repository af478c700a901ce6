/// The YAML 1.2 core schema's plain-scalar rules, the ones a user of JSON or
/// of a modern YAML tool expects. Deliberately not YAML 1.1's: `yes`, `no`,
/// `on`, `off` stay strings, so a branch named `no` is not turned into false.
enum CoreSchema {
    static let nullTag = "tag:yaml.org,2002:null"
    static let boolTag = "tag:yaml.org,2002:bool"
    static let intTag = "tag:yaml.org,2002:int"
    static let floatTag = "tag:yaml.org,2002:float"

    static func isNull(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// Decimal with an optional sign, `0x` hexadecimal or `0o` octal; nil
    /// when the text is anything else or does not fit in an `Int`.
    static func int(_ text: String) -> Int? {
        let utf8 = Array(text.utf8)
        if utf8.count > 2, utf8[0] == UInt8(ascii: "0") {
            let digits = String(decoding: utf8[2...], as: UTF8.self)
            if utf8[1] == UInt8(ascii: "x") {
                return utf8[2...].allSatisfy(isHexDigit) ? Int(digits, radix: 16) : nil
            }
            if utf8[1] == UInt8(ascii: "o") {
                return utf8[2...].allSatisfy(isOctalDigit) ? Int(digits, radix: 8) : nil
            }
        }
        var rest = utf8[...]
        if let first = rest.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, rest.allSatisfy(isDecimalDigit) else { return nil }
        return Int(text)
    }

    /// Only needed to describe a value's kind in messages ("a number").
    static func isFloat(_ text: String) -> Bool {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
             ".nan", ".NaN", ".NAN":
            return true
        default:
            break
        }
        // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var bytes = Array(text.utf8)[...]
        func skipSign() {
            if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
                bytes = bytes.dropFirst()
            }
        }
        func digitCount() -> Int {
            let count = bytes.prefix(while: isDecimalDigit).count
            bytes = bytes.dropFirst(count)
            return count
        }
        skipSign()
        var mantissaDigits = digitCount()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissaDigits += digitCount()
        }
        guard mantissaDigits > 0 else { return false }
        if let first = bytes.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            skipSign()
            guard digitCount() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    private static func isDecimalDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isOctalDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDecimalDigit(byte)
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
}
