#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The blob an entry document names, read as loosely as possible.
///
/// Prune must never delete a blob that any entry still names, including entries written by
/// another version of the plugin whose documents this one cannot decode (`CacheEntry.readable`
/// treats them as absent, which is right for a restore and wrong for a prune). So the digest is
/// read from any JSON object with a `digest` string that looks like a sha256, whatever else the
/// document holds; a document where even that fails is `unreadable`, and the pruner then deletes
/// no unnamed blob at all (see `FileStorePruner`).
enum EntryDigest {
    case named(String)
    case unreadable

    static func of(_ data: Data) -> EntryDigest {
        guard let digest = JSONObjectStrings.decode(data)?.strings["digest"] else { return .unreadable }
        let bare = digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
        return CacheEntry.isValidDigest(bare) ? .named(bare) : .unreadable
    }
}
