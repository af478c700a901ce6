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
        guard let info = try await retrier.run("look up \(key)", { try await head(key) }) else {
            throw S3Error(operation: "HEAD object", bucket: location.bucket, key: key, reason: .status(404, code: "NoSuchKey", message: nil))
        }
        let file = try OpenFile.creating(path)
        do {
            if info.size <= transfer.multipartThreshold {
                try await retrier.run("download \(key) (\(info.size) bytes)") {
                    try await getRange(key, into: file, offset: 0, length: info.size, total: info.size, ranged: false)
                }
            } else {
                let partSize = Swift.max(transfer.partSize, 1)
                let count = Int((info.size + partSize - 1) / partSize)
                _ = try await concurrentMap(count: count, limit: transfer.concurrency) { index in
                    let offset = Int64(index) * partSize
                    let length = Swift.min(partSize, info.size - offset)
                    try await retrier.run("download part \(index + 1)/\(count) of \(key)") {
                        try await getRange(key, into: file, offset: offset, length: length, total: info.size, ranged: true)
                    }
                }
            }
        } catch {
            unlink(path)
            throw error
        }
        return info.size
    }

    /// One GET (of a byte range, or of the whole object), written at its offset. Fewer or more
    /// bytes than asked for is a broken transfer, retried like a dropped connection.
    func getRange(_ key: String, into file: OpenFile, offset: Int64, length: Int64, total: Int64, ranged: Bool) async throws {
        let operation = ranged ? "GET object bytes \(offset)-\(offset + length - 1)" : "GET object"
        var request = S3Request(method: "GET", key: key)
        if ranged { request.headers.append(("range", "bytes=\(offset)-\(offset + length - 1)")) }
        let response = try await send(request, operation: operation, key: key, deadline: .hours(6))
        try await check(response, operation: operation, key: key, action: "s3:GetObject")
        let status = Int(response.status.code)
        if ranged && status != 206 {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: status, detail: "the service ignored the Range header"),
                          hint: "a store without ranged GETs needs a larger part_size_mb")
        }
        var received: Int64 = 0
        do {
            for try await buffer in response.body {
                guard received + Int64(buffer.readableBytes) <= length else {
                    throw S3Error(operation: operation, bucket: location.bucket, key: key,
                                  reason: .unreadableBody(status: status, detail: "more than the \(length) bytes expected"))
                }
                try buffer.withUnsafeReadableBytes { bytes in try file.write(bytes, at: offset + received) }
                received += Int64(buffer.readableBytes)
            }
        } catch let error as S3Error {
            throw error
        } catch let error as LocalFileError {
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
