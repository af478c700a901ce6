import AsyncHTTPClient
import CacheRetry
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOHTTP1
import Synchronization

extension S3Client {
    /// Uploads a file as the object `key`: one PUT up to the multipart threshold, else a multipart
    /// upload with `transfer.concurrency` parts in flight, each part retried on its own.
    ///
    /// Every request carries the sha256 of the bytes it sends (`sha256` for a whole-file PUT, each
    /// part's own for a part), so S3 refuses a body that was changed on the way or on disk.
    /// A multipart upload that gives up (or is cancelled) is aborted, never left behind to be billed.
    ///
    /// - Parameter sha256: the file's digest when the caller knows it (content-addressed blobs),
    ///   else it is computed.
    public func upload(file path: String, to key: String, sha256: String?, retrier: Retrier) async throws {
        let file = try OpenFile.forReading(path)
        let size = try file.size()
        if size <= transfer.multipartThreshold {
            let digest = try sha256 ?? file.sha256(offset: 0, length: size)
            try await retrier.run("upload \(key) (\(size) bytes)") {
                try await putFile(file, size: size, digest: digest, key: key)
            }
        } else {
            try await multipartUpload(file, size: size, key: key, retrier: retrier)
        }
    }

    func putFile(_ file: OpenFile, size: Int64, digest: String, key: String) async throws {
        let operation = "PUT object"
        var request = S3Request(method: "PUT", key: key, body: .file(FileRange(file: file, offset: 0, length: size)),
                                payloadHash: digest)
        // Not x-www-form-urlencoded (the default of some stacks): moto, for one, stores such a body as 0 bytes.
        request.headers.append(("content-type", "application/octet-stream"))
        request.headers += location.writeOptions.headers
        let response = try await send(request, operation: operation, key: key, deadline: .hours(6))
        try await check(response, operation: operation, key: key, action: "s3:PutObject")
        _ = try? await response.body.collect(upTo: 64 * 1024)
    }

    func multipartUpload(_ file: OpenFile, size: Int64, key: String, retrier: Retrier) async throws {
        let partSize = transfer.partSize(forUploadOf: size)
        let count = Int((size + partSize - 1) / partSize)
        let uploadID = try await retrier.run("start multipart upload of \(key)") { try await createMultipartUpload(key: key) }
        do {
            let etags = try await concurrentMap(count: count, limit: transfer.concurrency) { index in
                let offset = Int64(index) * partSize
                let length = Swift.min(partSize, size - offset)
                let digest = try file.sha256(offset: offset, length: length)
                return try await retrier.run("upload part \(index + 1)/\(count) of \(key)") {
                    try await uploadPart(file, offset: offset, length: length, digest: digest, number: index + 1, of: count,
                                         uploadID: uploadID, key: key)
                }
            }
            let attempts = AttemptCounter()
            try await retrier.run("complete multipart upload of \(key)") {
                try await completeMultipartUpload(key: key, uploadID: uploadID, etags: etags, expectedSize: size,
                                                  isRetry: attempts.next() > 1)
            }
        } catch {
            await abortMultipartUpload(key: key, uploadID: uploadID, retrier: retrier)
            throw error
        }
    }

    func createMultipartUpload(key: String) async throws -> String {
        let operation = "CreateMultipartUpload"
        var request = S3Request(method: "POST", key: key, query: [("uploads", "")])
        request.headers.append(("content-type", "application/octet-stream"))
        request.headers += location.writeOptions.headers
        let response = try await send(request, operation: operation, key: key)
        try await check(response, operation: operation, key: key, action: "s3:PutObject")
        let root = try await readXML(response, operation: operation, key: key, expecting: "InitiateMultipartUploadResult")
        guard let uploadID = root.value("UploadId"), !uploadID.isEmpty else {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "no UploadId in the answer"))
        }
        return uploadID
    }

    func uploadPart(_ file: OpenFile, offset: Int64, length: Int64, digest: String, number: Int, of count: Int,
                    uploadID: String, key: String) async throws -> String {
        let operation = "UploadPart \(number)/\(count)"
        let request = S3Request(method: "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                body: .file(FileRange(file: file, offset: offset, length: length)), payloadHash: digest)
        let response = try await send(request, operation: operation, key: key, deadline: .hours(1))
        try await check(response, operation: operation, key: key, action: "s3:PutObject")
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard let etag = response.headers.first(name: "etag"), !etag.isEmpty else {
            throw S3Error(operation: operation, bucket: location.bucket, key: key,
                          reason: .unreadableBody(status: Int(response.status.code), detail: "no ETag for the part"))
        }
        return etag
    }

    /// A retry of a completion that in fact succeeded (only its answer was lost) finds the upload
    /// gone (404 NoSuchUpload): then the object itself, with the right size, is the proof.
    func completeMultipartUpload(key: String, uploadID: String, etags: [String], expectedSize: Int64, isRetry: Bool) async throws {
        let operation = "CompleteMultipartUpload"
        var xml = "<CompleteMultipartUpload>"
        for (index, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(Self.escapeXML(etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = Array(xml.utf8)
        var request = S3Request(method: "POST", key: key, query: [("uploadId", uploadID)], body: .bytes(body),
                                payloadHash: SHA256Hex.of(body))
        request.headers.append(("content-type", "application/xml"))
        let response = try await send(request, operation: operation, key: key, deadline: .hours(1))
        do {
            try await check(response, operation: operation, key: key, action: "s3:PutObject")
            _ = try await readXML(response, operation: operation, key: key, expecting: "CompleteMultipartUploadResult",
                              "CompleteMultipartUploadResponse")  // the second: moto's name for it
        } catch let error as S3Error where isRetry && error.code == "NoSuchUpload" {
            guard let info = try await head(key), info.size == expectedSize else { throw error }
        }
    }

    /// Best effort, and done even when the upload was cancelled: a cancelled job must not leave
    /// parts behind, so the abort runs outside the cancelled task (once, without waits).
    func abortMultipartUpload(key: String, uploadID: String, retrier: Retrier) async {
        let client = self
        if Task.isCancelled {
            await Task { _ = try? await client.sendAbort(key: key, uploadID: uploadID) }.value
            return
        }
        _ = try? await retrier.run("abort multipart upload of \(key)") {
            try await client.sendAbort(key: key, uploadID: uploadID)
        }
    }

    func sendAbort(key: String, uploadID: String) async throws {
        let operation = "AbortMultipartUpload"
        let request = S3Request(method: "DELETE", key: key, query: [("uploadId", uploadID)])
        let response = try await send(request, operation: operation, key: key)
        if response.status == .notFound { return }
        try await check(response, operation: operation, key: key, action: "s3:AbortMultipartUpload")
        _ = try? await response.body.collect(upTo: 64 * 1024)
    }

    static func escapeXML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
