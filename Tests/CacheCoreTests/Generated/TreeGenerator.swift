import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small seeded generator (SplitMix64), so a failing tree can be made again from its seed.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Builds a random tree on disk with every kind of entry a cache may hold: files of several
/// modes and sizes (empty included), directories (read-only ones included), symlinks of every
/// kind (relative inside, relative and absolute outside, dangling, to a directory, to a link,
/// the cache path's own subtree root), hard links, names with spaces, unicode, newlines and
/// leading dashes, and sub-second mtimes on everything. FIFOs and sockets are made too: a save
/// skips them, naming each.
struct TreeGenerator {
    var random: SeededRandom
    let root: String
    private(set) var files: [String] = []
    private(set) var directories: [String] = []
    private(set) var skippable: [String] = []

    static let names = ["plain", "with space", "tab\there", "new\nline", "é-accent", "日本語", "-leading-dash",
                        "trailing space ", ".hidden", "UPPER", "a.b.c", "emoji-🙂", "%41percent", "back\\slash", "quote'd"]

    init(seed: UInt64, root: String) {
        random = SeededRandom(seed: seed)
        self.root = root
    }

    private mutating func name() -> String {
        "\(random.pick(Self.names))-\(random.below(1_000_000))"
    }

    mutating func build(directoriesToMake: Int = 12, filesToMake: Int = 40) throws {
        try make(directory: root, mode: 0o755)
        directories.append("")
        for _ in 0..<directoriesToMake {
            let parent = random.pick(directories)
            let relative = join(parent, name())
            try make(directory: root + "/" + relative, mode: 0o755)
            directories.append(relative)
        }
        for _ in 0..<filesToMake {
            let relative = join(random.pick(directories), name())
            let size = random.pick([0, 1, 100, 4096, 70_000])
            var bytes = [UInt8](repeating: 0, count: size)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: random.next()) }
            let path = root + "/" + relative
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw GeneratorError("create \(path)") }
            chmod(path, random.pick([0o644, 0o755, 0o600, 0o444, 0o700, 0o640]))
            files.append(relative)
        }
        try makeLinks()
        try makeSkippable()
        try setTimes()
        // Read-only directories last: Go's module cache is full of them.
        for relative in directories.dropFirst() where random.below(3) == 0 {
            chmod(root + "/" + relative, random.pick([0o555, 0o500, 0o750]))
        }
    }

    private mutating func makeLinks() throws {
        let outside = ["/usr/bin/python3", "/etc/hostname", "../../outside/thing", "/does/not/exist"]
        for _ in 0..<20 {
            let directory = random.pick(directories)
            let relative = join(directory, "link-" + name())
            let depth = directory.isEmpty ? 0 : directory.split(separator: "/").count
            let up = String(repeating: "../", count: depth)
            let target: String
            switch random.below(6) {
            case 0: target = up + random.pick(files)                     // a file inside
            case 1: target = up + (random.pick(directories).isEmpty ? "." : random.pick(directories))  // a directory inside
            case 2: target = random.pick(outside)                        // outside, absolute or relative
            case 3: target = "dangling-" + name()                        // nothing there
            case 4: target = "./" + up + "./" + random.pick(files)       // inside, spelled oddly
            default: target = up + "../" + name()                        // just above the cache path
            }
            guard symlink(target, root + "/" + relative) == 0 else { throw GeneratorError("symlink \(relative): \(errno)") }
            files.append(relative)
        }
        for _ in 0..<8 {
            let existing = random.pick(files)
            let relative = join(random.pick(directories), "hard-" + name())
            guard link(root + "/" + existing, root + "/" + relative) == 0 else { throw GeneratorError("link \(relative): \(errno)") }
            files.append(relative)
        }
    }

    private mutating func makeSkippable() throws {
        let fifo = join(random.pick(directories), "fifo-" + name())
        guard mkfifo(root + "/" + fifo, 0o644) == 0 else { throw GeneratorError("mkfifo: \(errno)") }
        skippable.append(fifo)
        let socketPath = join(random.pick(directories), "sock")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let full = root + "/" + socketPath
        guard full.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else { close(fd); return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in full.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        if bound == 0 { skippable.append(socketPath) }
    }

    /// Sub-second mtimes on every entry, links themselves included; directories after their contents.
    private mutating func setTimes() throws {
        for relative in (files + skippable + directories).reversed() {
            var times = [timespec(tv_sec: 1_600_000_000 + random.below(100_000_000), tv_nsec: random.below(1_000_000_000)),
                         timespec(tv_sec: 1_600_000_000 + random.below(100_000_000), tv_nsec: random.below(1_000_000_000))]
            let path = relative.isEmpty ? root : root + "/" + relative
            guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw GeneratorError("utimensat \(relative): \(errno)") }
        }
    }

    private func make(directory: String, mode: mode_t) throws {
        guard mkdir(directory, mode) == 0 else { throw GeneratorError("mkdir \(directory): \(errno)") }
    }

    private func join(_ parent: String, _ name: String) -> String { parent.isEmpty ? name : parent + "/" + name }
}

struct GeneratorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
