import AsyncHTTPClient
import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Downloads the object `key` into a new file at `path` (which must not exist): one GET up to
    /// the multipart threshold, else ranged GETs of `transfer.partSize`, `transfer.concurrency` at a
    /// time, each written in place and retried on its own.
    ///
    /// The bytes are not hashed here: ranges arrive out of order, and the caller reads the whole
    /// file once anyway to check the digest it expects (a restore hashes while it extracts).
    ///
    /// - Returns: the object's size.
    /// - Throws: an `S3Error` with `isNotFound` when there is no such object; the partial file is
    ///   removed on any failure.
    @discardableResult
    public func download(_ key: String, to path: String, retrier: Retrier) async throws -> Int64 {
        let info = try await existingObject(key, retrier: retrier)
        let file = try OpenFile.creating(path)
        do {
            if info.size <= transfer.multipartThreshold {
                try await retrier.run("download \(key) (\(info.size) bytes)") {
                    try await getRange(key, offset: 0, length: info.size, ranged: false) { buffer, at in
                        try buffer.withUnsafeReadableBytes { try file.write($0, at: at) }
                    }
                }
            } else {
                let partSize = Swift.max(transfer.partSize, 1)
                let count = Int((info.size + partSize - 1) / partSize)
                _ = try await concurrentMap(count: count, limit: transfer.concurrency) { index in
                    let offset = Int64(index) * partSize
                    let length = Swift.min(partSize, info.size - offset)
                    try await retrier.run("download part \(index + 1)/\(count) of \(key)") {
                        try await getRange(key, offset: offset, length: length, ranged: true) { buffer, at in
                            try buffer.withUnsafeReadableBytes { try file.write($0, at: offset + at) }
                        }
                    }
                }
            }
        } catch {
            unlink(path)
            throw error
        }
        return info.size
    }

    /// Opens the object `key` for reading in order while it downloads: see `StreamedDownload`.
    /// Nothing is fetched until its `run` starts.
    ///
    /// - Throws: an `S3Error` with `isNotFound` when there is no such object.
    public func streamedDownload(_ key: String, retrier: Retrier) async throws -> StreamedDownload {
        let info = try await existingObject(key, retrier: retrier)
        return StreamedDownload(client: self, key: key, size: info.size, retrier: retrier)
    }

    /// The object's size from a HEAD, retried on its own; a 404 when there is none.
    private func existingObject(_ key: String, retrier: Retrier) async throws -> ObjectInfo {
        guard let info = try await retrier.run("look up \(key)", { try await head(key) }) else {
            throw S3Error(operation: "HEAD object", bucket: location.bucket, key: key, reason: .status(404, code: "NoSuchKey", message: nil))
        }
        return info
    }

    /// One GET (of a byte range, or of the whole object), its body handed to `receive` piece by
    /// piece as it arrives, each with its position in the range (bytes of this GET before it).
    /// Fewer or more bytes than asked for is a broken transfer, retried like a dropped connection;
    /// the pieces handed over before a failure stay handed over (a caller that resumes asks for
    /// the rest).
    func getRange(_ key: String, offset: Int64, length: Int64, ranged: Bool,
                  receive: (_ bytes: ByteBuffer, _ at: Int64) async throws -> Void) async throws {
        let operation = ranged ? "GET object bytes \(offset)-\(offset + length - 1)" : "GET object"
        var request = S3Request(method: "GET", key: key)
        if ranged { request.headers.append(("range", "bytes=\(offset)-\(offset + length - 1)")) }
        let response = try await send(request, operation: operation, key: key, deadline: .hours(6))
        try await check(response, operation: operation, key: key, action: "s3:GetObject")
        let status = Int(response.status.code)
        if ranged && status != 206 {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: status, detail: "the service ignored the Range header"),
                          hint: "the store must answer ranged GETs (206) for blobs larger than one range and for resumed downloads")
        }
        var received: Int64 = 0
        do {
            for try await buffer in response.body {
                guard received + Int64(buffer.readableBytes) <= length else {
                    throw S3Error(operation: operation, bucket: location.bucket, key: key,
                                  reason: .unreadableBody(status: status, detail: "more than the \(length) bytes expected"))
                }
                try await receive(buffer, received)
                received += Int64(buffer.readableBytes)
            }
        } catch let error as S3Error {
            throw error
        } catch let error as LocalFileError {
            throw error
        } catch let error as CancellationError {
            // The receiver stopped taking bytes (the reader gave up).
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: status, detail: "cut off after \(received) of \(length) bytes: \(scrub("\(error)"))"))
        }
        guard received == length else {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: status, detail: "cut off after \(received) of \(length) bytes"))
        }
    }
}
