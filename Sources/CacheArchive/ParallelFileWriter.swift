import Dispatch
import EssentialsCompat

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates an extraction's small files on worker threads while the extracting thread reads on.
///
/// Creating a small file costs the kernel far more than its bytes cost anyone (an inode, a
/// directory entry, its mode and times): in a `node_modules` of 40,000 files that is most of a
/// restore, and done on one thread it is exactly as slow as `tar -x`. Here the extracting thread
/// parses the tar stream and copies each small file's bytes out of it; workers create the files,
/// several at once.
///
/// Files of one directory go to one worker, in order: two threads creating files in the same
/// directory wait for each other on its lock (measured: a tenth of the workers' time).
///
/// The extracting thread decides what may be handed over (`EntryExtractor`): a plain file whose
/// directory this extraction created and whose path no earlier entry had. Everything else waits
/// for `finishAll()` when it must and is written by libarchive on the extracting thread, and
/// symlinks are created only after the last `finishAll()`. So no two files in flight share a
/// path, and a worker never meets a symlink on its way to a file.
final class ParallelFileWriter: @unchecked Sendable {
    /// A file to create, with its bytes (owned: freed once written, or dropped).
    struct File {
        /// NUL-terminated.
        let path: [CChar]
        /// A hash of the file's directory: it picks the worker, so that files of one directory go
        /// to one worker.
        let directoryHash: Int
        /// The permission bits to set exactly, whatever the umask (as ARCHIVE_EXTRACT_PERM does).
        let permissions: mode_t
        /// Access and modification times; nil leaves the kernel's (libarchive does the same for
        /// an entry that has neither).
        let times: (access: timespec, modification: timespec)?
        let contents: UnsafeMutableRawBufferPointer
    }

    /// Bytes waiting or being written, at most: enough to keep the workers busy while the
    /// extracting thread parses, small beside a restore's other buffers.
    static let maximumHeldBytes = 4 << 20

    /// What a file in flight counts for: its bytes, its path, and a little for the rest, so that
    /// a million empty files cannot queue up without bound either.
    static func cost(of file: File) -> Int {
        file.contents.count + file.path.count + 128
    }

    private let workerCount: Int
    private let heldLimit: Int
    /// Guards everything below it. Workers wait on it for files; the extracting thread waits on
    /// it for room, or for every file to be written.
    private let condition = ThreadCondition()
    /// One per worker.
    private var lanes: [Lane]
    private var heldBytes = 0
    /// Files a worker is creating now.
    private var writing = 0
    private var failure: ArchiveError?
    private var stopping = false
    /// Workers started and not ended yet.
    private var runningWorkers = 0

    init(workers: Int, heldLimit: Int = ParallelFileWriter.maximumHeldBytes) {
        workerCount = Swift.max(1, workers)
        self.heldLimit = heldLimit
        lanes = Array(repeating: Lane(), count: workerCount)
    }

    /// Hands a file to the workers (starting them on first use); waits while `heldLimit` bytes
    /// are in flight.
    ///
    /// - Throws: the first failure of a worker (the file is then dropped).
    func write(_ file: File) throws(ArchiveError) {
        condition.lock()
        if runningWorkers == 0 && !stopping { startWorkers() }
        while failure == nil && !stopping && heldBytes > 0 && heldBytes + Self.cost(of: file) > heldLimit {
            condition.wait()
        }
        if let failure = failure ?? (stopping ? ArchiveError(.cancelled, "the extraction was stopped") : nil) {
            condition.unlock()
            file.contents.deallocate()
            throw failure
        }
        lanes[lane(of: file)].push(file)
        heldBytes += Self.cost(of: file)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every file handed over is written.
    ///
    /// - Throws: the first failure of a worker.
    func finishAll() throws(ArchiveError) {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && (lanes.contains { !$0.isEmpty } || writing > 0) {
            condition.wait()
        }
        if let failure { throw failure }
    }

    /// Drops the files not taken yet and waits for the workers to end, so that nothing writes
    /// into the destination once this returns (a failed extraction then removes it). Repeatable.
    func shutdown() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        for index in lanes.indices {
            while let file = lanes[index].pop() { file.contents.deallocate() }
        }
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
    }

    /// Call with the lock held.
    private func startWorkers() {
        runningWorkers = workerCount
        for index in 0 ..< workerCount {
            DispatchQueue(label: "swift-cache.write-files.\(index)").async { [self] in work(lane: index) }
        }
    }

    /// The worker for a file: the one its directory picks.
    private func lane(of file: File) -> Int {
        Int(UInt(bitPattern: file.directoryHash) % UInt(workerCount))
    }

    private func work(lane index: Int) {
        condition.lock()
        while true {
            while lanes[index].isEmpty && !stopping { condition.wait() }
            if stopping { break }
            guard let file = lanes[index].pop() else { continue }
            writing += 1
            let givenUp = failure != nil
            condition.unlock()

            let problem = givenUp ? nil : Self.create(file)
            file.contents.deallocate()

            condition.lock()
            writing -= 1
            heldBytes -= Self.cost(of: file)
            if failure == nil, let problem { failure = problem }
            condition.broadcast()
        }
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Creates one file (it must not exist), writes its bytes, then sets its mode and times on
    /// the open descriptor; nil when all of it worked. `O_NOFOLLOW` is a second line of defence:
    /// the extracting thread already made sure no symlink exists yet.
    static func create(_ file: File) -> ArchiveError? {
        let descriptor = file.path.withUnsafeBufferPointer {
            open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else { return failure(errno, "cannot create", file) }
        var problem: ArchiveError?
        let writeError = POSIX.writeAll(descriptor, UnsafeRawBufferPointer(file.contents))
        if writeError != 0 {
            problem = failure(writeError, "cannot write", file)
        } else if fchmod(descriptor, file.permissions) != 0 {
            problem = failure(errno, "cannot set the mode of", file)
        } else if let times = file.times {
            var both = [times.access, times.modification]
            if futimens(descriptor, &both) != 0 { problem = failure(errno, "cannot set the times of", file) }
        }
        // A failed close can be the write's own failure, reported late (NFS, quotas).
        if close(descriptor) != 0 && problem == nil { problem = failure(errno, "cannot write", file) }
        return problem
    }

    /// A worker's files, first in first out.
    private struct Lane {
        private var files: [File] = []
        /// The first file not taken yet.
        private var next = 0

        var isEmpty: Bool { next == files.count }

        mutating func push(_ file: File) { files.append(file) }

        mutating func pop() -> File? {
            guard next < files.count else { return nil }
            let file = files[next]
            next += 1
            // Drop the files taken now and then (so the cost is spread over many), or a lane that
            // never runs dry would keep every file it ever had.
            if next == files.count {
                files.removeAll(keepingCapacity: true)
                next = 0
            } else if next >= 64 && 2 * next >= files.count {
                files.removeFirst(next)
                next = 0
            }
            return file
        }
    }

    private static func failure(_ code: Int32, _ what: String, _ file: File) -> ArchiveError {
        let shownPath = PathBytesSyntax.display(file.path.dropLast().map { UInt8(bitPattern: $0) })
        return ArchiveError(.io, "\(what) \(shownPath): \(POSIX.errorText(code))")
    }
}
