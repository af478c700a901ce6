import CacheArchive
import CacheRetry
import CacheS3

extension S3Store {
    /// Streams the blob into `body` as it arrives (see `StreamedDownload`): the restore
    /// extracts while it downloads, with at most `StreamedDownload.maximumHeldBytes` in memory,
    /// never a temporary file.
    ///
    /// When the download gives up part-way, `body` (the extraction) fails on its next read and
    /// throws whatever it makes of that; the download's own error, which says what went wrong,
    /// is what this throws (`StoreError.blobUnreadable`).
    public func readBlob<T: Sendable>(for entry: CacheEntry, retrier: Retrier,
                                      _ body: @Sendable (any ArchiveInput) async throws -> T) async throws -> T {
        guard CacheEntry.isValidDigest(entry.digest) else {
            throw StoreError.blobUnreadable(StoreError.badEntry("digest '\(entry.digest)' is not a sha256"))
        }
        let key = blobKey(entry.digest)
        let download: StreamedDownload
        do {
            download = try await client.streamedDownload(key, retrier: retrier)
        } catch let error as S3Error where error.isNotFound {
            throw StoreError.blobMissing(digest: entry.digest)
        } catch {
            throw StoreError.blobUnreadable(error)
        }
        let input = StreamedBlobInput(download: download, name: "s3://\(client.location.bucket)/\(key)")
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await download.run() }
            do {
                let result = try await body(input)
                try await group.waitForAll()
                return result
            } catch {
                // Read before the cancel, which fails the GET in flight with CancellationError.
                let failure = download.failure
                group.cancelAll()
                if let failure { throw StoreError.blobUnreadable(failure) }
                throw error
            }
        }
    }
}

/// A streamed download as the extractor's input, which lends the pieces it received.
struct StreamedBlobInput: LendingArchiveInput {
    let download: StreamedDownload
    let name: String

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try download.read(into: buffer)
    }

    func lend() throws -> LentBytes? {
        try download.lend().map { LentBytes(bytes: $0.bytes, giveBack: $0.giveBack) }
    }

    func stopReading() {
        download.stop()
    }
}
