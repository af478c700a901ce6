import CacheEncoding
import Testing

@Suite("Hex and percent-encoding")
struct EncodingTests {
    @Test func hexIsLowercaseTwoDigitsAByte() {
        #expect([0x00, 0x0f, 0xa0, 0xff].hexString == "000fa0ff")
        #expect([UInt8]().hexString == "")
    }

    @Test func onlyTheUnreservedBytesStayByDefault() {
        #expect(PercentEncoding.encode("a b/c+d=é~._-") == "a%20b%2Fc%2Bd%3D%C3%A9~._-")
    }

    @Test func lowercaseHexIsAskedFor() {
        #expect(PercentEncoding.encode("a/é", lowercaseHex: true) == "a%2f%c3%a9")
    }

    @Test func theCallerDecidesWhatElseStaysOrGoesByOffset() {
        let leadingDotEncoded = PercentEncoding.encode(".a.b") { offset, byte in
            PercentEncoding.isUnreserved(byte) && !(byte == 0x2E && offset == 0)
        }
        #expect(leadingDotEncoded == "%2Ea.b")
        #expect(PercentEncoding.encode("/x y/z") { PercentEncoding.isUnreserved($1) || $1 == 0x2F } == "/x%20y/z")
    }
}
