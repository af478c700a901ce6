import CacheEncoding

/// The percent-encoding SigV4 asks for, which is not what `addingPercentEncoding` does: only
/// `A-Z a-z 0-9 - _ . ~` stay as they are, every other byte of the UTF-8 becomes `%XX` (uppercase),
/// a space is `%20` (never `+`). The path of a request and its signature must agree byte for byte,
/// so the same function builds both.
enum URIEncoding {
    static func isUnreserved(_ byte: UInt8) -> Bool {
        PercentEncoding.isUnreserved(byte)
    }

    /// For a query name or value: `/` is encoded too.
    static func encode(_ text: String) -> String {
        PercentEncoding.encode(text)
    }

    /// For an object key in a path: `/` separates segments and stays.
    static func encodePath(_ text: String) -> String {
        PercentEncoding.encode(text) { isUnreserved($1) || $1 == 0x2F }
    }
}
