import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything a restore must put back about a tree, read with lstat (links never followed):
/// per path its type, mode, mtime to the nanosecond, size and content digest or link target, and
/// which regular files are one inode (hard links).
struct TreeSnapshot: Equatable {
    struct Item: Equatable, CustomStringConvertible {
        var type: String
        var mode: mode_t
        var mtime: String
        var content: String
        var description: String { "\(type) \(String(mode, radix: 8)) \(mtime) \(content.prefix(40))" }
    }

    var items: [String: Item] = [:]
    /// Groups of two or more paths that share an inode, each sorted, the list sorted.
    var hardLinkGroups: [[String]] = []

    /// - Parameter skipping: paths left out (FIFOs and sockets, which a save does not store).
    init(_ root: String, skipping: Set<String> = []) throws {
        var inodes: [UInt64: [String]] = [:]
        try walk(root, relative: "", skipping: skipping, inodes: &inodes)
        hardLinkGroups = inodes.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    private mutating func walk(_ root: String, relative: String, skipping: Set<String>, inodes: inout [UInt64: [String]]) throws {
        let path = relative.isEmpty ? root : root + "/" + relative
        var info = stat()
        guard lstat(path, &info) == 0 else { throw GeneratorError("lstat \(path): \(errno)") }
        let mtime = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        let mode = info.st_mode & 0o7777
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            items[relative] = Item(type: "dir", mode: mode, mtime: mtime, content: "")
            let children = try FileManager.default.contentsOfDirectory(atPath: path)
            for child in children.sorted() {
                let childRelative = relative.isEmpty ? child : relative + "/" + child
                if skipping.contains(childRelative) { continue }
                try walk(root, relative: childRelative, skipping: skipping, inodes: &inodes)
            }
        case S_IFREG:
            let data = FileManager.default.contents(atPath: path) ?? Data()
            items[relative] = Item(type: "file", mode: mode, mtime: mtime, content: "\(data.count) bytes " + data.base64EncodedString())
            inodes[UInt64(info.st_ino), default: []].append(relative)
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(path, &buffer, buffer.count - 1)
            let target = String(decoding: buffer[0..<max(0, length)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // A link's own mode is not kept by Linux (always 0777); its target and mtime are.
            items[relative] = Item(type: "link", mode: 0o777, mtime: mtime, content: target)
        default:
            items[relative] = Item(type: "other", mode: mode, mtime: mtime, content: "")
        }
    }

    /// Lines that differ, for a readable failure.
    func differences(from other: TreeSnapshot) -> [String] {
        var lines: [String] = []
        for path in Set(items.keys).union(other.items.keys).sorted() where items[path] != other.items[path] {
            lines.append("\(path.debugDescription): saved \(items[path]?.description ?? "nothing"), "
                         + "restored \(other.items[path]?.description ?? "nothing")")
        }
        if hardLinkGroups != other.hardLinkGroups {
            lines.append("hard links: saved \(hardLinkGroups), restored \(other.hardLinkGroups)")
        }
        return lines
    }
}
