import CacheRetry
import Foundation
import Testing
@testable import CacheCore
@testable import CacheS3

/// The calls of a big blob, each retried on its own: the multipart upload of a save (create, each
/// part, complete, abort) under the save policy, and the ranged download of a restore (HEAD, each
/// range) under the restore policy. Through `S3Store.putBlob` and `fetchBlob`, the store calls
/// `Saver` and `Restorer` make. Uploads use a part of S3's smallest size, 5 MiB, and a last part of
/// 64 KiB; downloads, which S3 does not limit, use three 64 KiB ranges of a 160 KiB blob.
///
/// Cases that end in a failure move one part at a time (concurrency 1), so which parts were sent
/// before the failure is certain; the others move three at once.
extension FaultInjection {
    @Suite("Multipart upload and ranged download, part by part, through S3Store")
    struct TransferCalls {
        static let uploadPartSize = Int(S3TransferOptions.minimumPartSize)
        static let downloadPartSize = 64 * 1024
        /// Made once for every case: each case has a bucket of its own.
        static let uploadBlob = noise(uploadPartSize + 64 * 1024)
        static let downloadBlob = noise(2 * downloadPartSize + 32 * 1024, seed: 7)

        static func uploadTransfer(concurrency: Int) -> S3TransferOptions {
            S3TransferOptions(multipartThreshold: Int64(uploadPartSize), partSize: Int64(uploadPartSize), concurrency: concurrency)
        }

        /// Ranges below S3's smallest part, which only uploads need: set past the public
        /// initializer, which keeps parts at 5 MiB or more.
        static func downloadTransfer(concurrency: Int) -> S3TransferOptions {
            var transfer = S3TransferOptions(multipartThreshold: Int64(uploadPartSize), partSize: Int64(uploadPartSize), concurrency: concurrency)
            transfer.partSize = Int64(downloadPartSize)
            transfer.multipartThreshold = Int64(downloadPartSize)
            transfer.downloadRangeSize = Int64(downloadPartSize)
            return transfer
        }

        /// UploadPart number `n`.
        static func part(_ n: Int) -> @Sendable (SeenRequest) -> Bool { { $0.partNumber == n } }
        /// The ranged GET of part `n` (1-based).
        static func range(_ n: Int) -> @Sendable (SeenRequest) -> Bool { { $0.rangeStart == Int64((n - 1) * downloadPartSize) } }

        struct Case: Sendable, CustomTestStringConvertible {
            let name: String
            let rules: [FaultRule]
            /// Requests per call, the parts (or ranges) left out: they are in `perPart`.
            let traffic: [S3Call: Int]
            /// Requests for each part (1, 2) or range (1, 2, 3).
            let perPart: [Int]
            let retried: Int
            var ending = Ending.whole
            var concurrency = 3
            /// The fault the retry lines show; the first rule's unless said.
            var retriedFault: Fault?
            var testDescription: String { name }
            var shown: Fault? { retriedFault ?? rules.first?.fault }
        }

        enum Ending: Sendable, Equatable {
            /// The blob arrived whole.
            case whole
            /// The transfer threw the error of the call that failed for good.
            case failed(retryable: Bool)
        }

        // MARK: Multipart upload, save policy

        static let upload: [S3Call: Int] = [.createMultipartUpload: 1, .completeMultipartUpload: 1]

        static let uploadRecovering: [Case] = [
            Case(name: "create: 503 twice", rules: [FaultRule(.createMultipartUpload, .unavailable, times: 2)],
                 traffic: upload.adding([.createMultipartUpload: 2]), perPart: [1, 1], retried: 2),
            Case(name: "create: a proxy's HTML page with 200 once", rules: [FaultRule(.createMultipartUpload, .htmlPage(status: 200), times: 1)],
                 traffic: upload.adding([.createMultipartUpload: 1]), perPart: [1, 1], retried: 1),
            Case(name: "create: 200 cut mid-body once", rules: [FaultRule(.createMultipartUpload, .cutBody, times: 1)],
                 traffic: upload.adding([.createMultipartUpload: 1]), perPart: [1, 1], retried: 1),
            Case(name: "part 2: reset twice", rules: [FaultRule(.uploadPart, .reset, times: 2, when: part(2))],
                 traffic: upload, perPart: [1, 3], retried: 2),
            Case(name: "part 1: 429 twice", rules: [FaultRule(.uploadPart, .throttled, times: 2, when: part(1))],
                 traffic: upload, perPart: [3, 1], retried: 2),
            Case(name: "part 1: closed without an answer once", rules: [FaultRule(.uploadPart, .hangUp, times: 1, when: part(1))],
                 traffic: upload, perPart: [2, 1], retried: 1),
            Case(name: "part 2: answer lost once", rules: [FaultRule(.uploadPart, .lostAnswer, times: 1, when: part(2))],
                 traffic: upload, perPart: [1, 2], retried: 1),
            Case(name: "complete: 500 twice", rules: [FaultRule(.completeMultipartUpload, .internalError, times: 2)],
                 traffic: upload.adding([.completeMultipartUpload: 2]), perPart: [1, 1], retried: 2),
            Case(name: "complete: a proxy's HTML page with 200 once", rules: [FaultRule(.completeMultipartUpload, .htmlPage(status: 200), times: 1)],
                 traffic: upload.adding([.completeMultipartUpload: 1]), perPart: [1, 1], retried: 1),
            // S3 completed it and the answer was lost: the retry completes it again (moto takes a
            // repeated completion), and the parts are not sent again.
            Case(name: "complete: answer lost once", rules: [FaultRule(.completeMultipartUpload, .lostAnswer, times: 1)],
                 traffic: upload.adding([.completeMultipartUpload: 1]), perPart: [1, 1], retried: 1),
            Case(name: "complete: 200 cut mid-body once", rules: [FaultRule(.completeMultipartUpload, .cutBody, times: 1)],
                 traffic: upload.adding([.completeMultipartUpload: 1]), perPart: [1, 1], retried: 1),
            // A service that has already dropped the completed upload answers the retry 404
            // NoSuchUpload: a HEAD of the object, of the right size, proves the upload done.
            Case(name: "complete: answer lost, then 404 NoSuchUpload",
                 rules: [FaultRule(.completeMultipartUpload, .lostAnswer, times: 1),
                         FaultRule(.completeMultipartUpload, .status(404, code: "NoSuchUpload"), times: 1, skipping: 1)],
                 traffic: upload.adding([.completeMultipartUpload: 1, .headBlob: 1]), perPart: [1, 1], retried: 1),
            // A part refused for good (403) ends the upload; its abort passes after two 503s.
            Case(name: "abort: 503 twice", rules: [FaultRule(.uploadPart, .accessDenied, times: nil, when: part(2)),
                                                   FaultRule(.abortMultipartUpload, .unavailable, times: 2)],
                 traffic: [.createMultipartUpload: 1, .abortMultipartUpload: 3], perPart: [1, 1], retried: 2,
                 ending: .failed(retryable: false), concurrency: 1, retriedFault: .unavailable),
        ]

        static let uploadGivingUp: [Case] = [
            Case(name: "create: 500 every time", rules: [.always(.createMultipartUpload, .internalError)],
                 traffic: [.createMultipartUpload: 10], perPart: [0, 0], retried: 9, ending: .failed(retryable: true), concurrency: 1),
            Case(name: "part 2: 503 every time", rules: [.always(.uploadPart, .unavailable, when: part(2))],
                 traffic: [.createMultipartUpload: 1, .abortMultipartUpload: 1], perPart: [1, 10], retried: 9,
                 ending: .failed(retryable: true), concurrency: 1),
            Case(name: "complete: reset every time", rules: [.always(.completeMultipartUpload, .reset)],
                 traffic: [.createMultipartUpload: 1, .completeMultipartUpload: 10, .abortMultipartUpload: 1], perPart: [1, 1],
                 retried: 9, ending: .failed(retryable: true), concurrency: 1),
            // The upload fails with the part's error; the abort, best effort, gives up quietly.
            Case(name: "abort: 503 every time", rules: [FaultRule(.uploadPart, .accessDenied, times: nil, when: part(2)),
                                                        .always(.abortMultipartUpload, .unavailable)],
                 traffic: [.createMultipartUpload: 1, .abortMultipartUpload: 10], perPart: [1, 1], retried: 9,
                 ending: .failed(retryable: false), concurrency: 1, retriedFault: .unavailable),
        ]

        static let uploadFinal: [Case] = [
            Case(name: "create: 400", rules: [.always(.createMultipartUpload, .badRequest)],
                 traffic: [.createMultipartUpload: 1], perPart: [0, 0], retried: 0, ending: .failed(retryable: false), concurrency: 1),
            Case(name: "part 2: 403", rules: [.always(.uploadPart, .accessDenied, when: part(2))],
                 traffic: [.createMultipartUpload: 1, .abortMultipartUpload: 1], perPart: [1, 1], retried: 0,
                 ending: .failed(retryable: false), concurrency: 1),
            Case(name: "complete: 400", rules: [.always(.completeMultipartUpload, .badRequest)],
                 traffic: [.createMultipartUpload: 1, .completeMultipartUpload: 1, .abortMultipartUpload: 1], perPart: [1, 1],
                 retried: 0, ending: .failed(retryable: false), concurrency: 1),
            Case(name: "abort: 403", rules: [.always(.uploadPart, .badRequest, when: part(2)), .always(.abortMultipartUpload, .accessDenied)],
                 traffic: [.createMultipartUpload: 1, .abortMultipartUpload: 1], perPart: [1, 1], retried: 0,
                 ending: .failed(retryable: false), concurrency: 1),
        ]

        @Test("upload (a): a retried fault passes with k + 1 attempts of that call only", arguments: uploadRecovering)
        func uploadRecovers(_ scenario: Case) async throws { try await runUpload(scenario) }

        @Test("upload (b): a retried fault that never stops gives up after 10 attempts", arguments: uploadGivingUp)
        func uploadGivesUp(_ scenario: Case) async throws { try await runUpload(scenario) }

        @Test("upload (c): a final fault stops after one attempt", arguments: uploadFinal)
        func uploadStopsAtOnce(_ scenario: Case) async throws { try await runUpload(scenario) }

        func runUpload(_ scenario: Case) async throws {
            let bucket = try await FaultBucket.make()
            let scratch = try Scratch()
            let bytes = Self.uploadBlob
            let digest = SHA256Hex.of(bytes)
            let path = scratch.path + "/archive.tar.zst"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let recorded = RecordedRetrier(.save)

            let outcome: Result<Void, any Error> = try await bucket.withProxy(scenario.rules) { proxy in
                let store = try bucket.store(through: proxy, transfer: Self.uploadTransfer(concurrency: scenario.concurrency))
                let outcome: Result<Void, any Error>
                do {
                    try await store.putBlob(from: path, digest: digest, retrier: recorded.retrier)
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                expectTraffic(proxy, scenario.traffic.adding([.uploadPart: scenario.perPart.reduce(0, +)]))
                #expect((1 ... 2).map { number in proxy.count(.uploadPart) { $0.partNumber == number } } == scenario.perPart,
                        "attempts of parts 1 and 2")
                return outcome
            }
            #expect(recorded.waits == PolicyWaits.save(scenario.retried))
            #expect(recorded.lines.all.count == scenario.retried)
            if let fault = scenario.shown, scenario.retried > 0 {
                #expect(recorded.lines.all.allSatisfy { $0.contains(fault.evidence) }, "the retries show \(fault): \(recorded.lines.all)")
            }

            let direct = try bucket.direct()
            switch outcome {
            case .success:
                #expect(scenario.ending == .whole)
                let entry = CacheEntry(key: "k", digest: digest, size: Int64(bytes.count), created: Date(), platform: "linux/amd64",
                                       members: [], branch: "feature", job: nil)
                let blob = try await direct.fetchBlob(for: entry, retrier: .immediate)
                defer { unlink(blob.path) }
                #expect(FileManager.default.contents(atPath: blob.path) == Data(bytes), "the blob arrived whole, its parts in order")
                // moto keeps every object in memory for the whole suite.
                try await direct.client.delete(direct.blobKey(digest))
            case .failure(let error):
                #expect(scenario.ending == .failed(retryable: Retrier.isRetryable(error)), "the call that failed for good: \(error)")
                #expect(try await direct.client.head(direct.blobKey(digest)) == nil, "no blob after a failed upload")
            }
        }

        // MARK: Ranged download, restore policy

        static let download: [S3Call: Int] = [.headBlob: 1]

        static let downloadRecovering: [Case] = [
            Case(name: "HEAD: 429 twice", rules: [FaultRule(.headBlob, .throttled, times: 2)],
                 traffic: download.adding([.headBlob: 2]), perPart: [1, 1, 1], retried: 2),
            Case(name: "range 2: 206 cut mid-body twice", rules: [FaultRule(.getBlobRange, .cutBody, times: 2, when: range(2))],
                 traffic: download, perPart: [1, 3, 1], retried: 2),
            Case(name: "range 3: 503 once", rules: [FaultRule(.getBlobRange, .unavailable, times: 1, when: range(3))],
                 traffic: download, perPart: [1, 1, 2], retried: 1),
            Case(name: "range 1: reset three times", rules: [FaultRule(.getBlobRange, .reset, times: 3, when: range(1))],
                 traffic: download, perPart: [4, 1, 1], retried: 3),
            Case(name: "range 3: closed without an answer twice", rules: [FaultRule(.getBlobRange, .hangUp, times: 2, when: range(3))],
                 traffic: download, perPart: [1, 1, 3], retried: 2),
            Case(name: "range 2: answer lost once", rules: [FaultRule(.getBlobRange, .lostAnswer, times: 1, when: range(2))],
                 traffic: download, perPart: [1, 2, 1], retried: 1),
        ]

        static let downloadGivingUp: [Case] = [
            Case(name: "range 2: 500 every time", rules: [.always(.getBlobRange, .internalError, when: range(2))],
                 traffic: download, perPart: [1, 5, 0], retried: 4, ending: .failed(retryable: true), concurrency: 1),
            Case(name: "range 2: cut every time", rules: [.always(.getBlobRange, .cutBody, when: range(2))],
                 traffic: download, perPart: [1, 5, 0], retried: 4, ending: .failed(retryable: true), concurrency: 1),
        ]

        static let downloadFinal: [Case] = [
            Case(name: "range 2: 403", rules: [.always(.getBlobRange, .accessDenied, when: range(2))],
                 traffic: download, perPart: [1, 1, 0], retried: 0, ending: .failed(retryable: false), concurrency: 1),
            Case(name: "range 3: 400", rules: [.always(.getBlobRange, .badRequest, when: range(3))],
                 traffic: download, perPart: [1, 1, 1], retried: 0, ending: .failed(retryable: false), concurrency: 1),
        ]

        @Test("download (a): a retried fault passes with k + 1 attempts of that call only", arguments: downloadRecovering)
        func downloadRecovers(_ scenario: Case) async throws { try await runDownload(scenario) }

        @Test("download (b): a retried fault that never stops gives up after 5 attempts", arguments: downloadGivingUp)
        func downloadGivesUp(_ scenario: Case) async throws { try await runDownload(scenario) }

        @Test("download (c): a final fault stops after one attempt", arguments: downloadFinal)
        func downloadStopsAtOnce(_ scenario: Case) async throws { try await runDownload(scenario) }

        func runDownload(_ scenario: Case) async throws {
            let bucket = try await FaultBucket.make()
            let bytes = Self.downloadBlob
            let digest = SHA256Hex.of(bytes)
            let direct = try bucket.direct()
            _ = try await direct.client.put(direct.blobKey(digest), bytes: bytes, contentType: "application/octet-stream")
            let entry = CacheEntry(key: "k", digest: digest, size: Int64(bytes.count), created: Date(), platform: "linux/amd64",
                                   members: [], branch: "feature", job: nil)
            let recorded = RecordedRetrier(.restore)

            let outcome: Result<LocalBlob, any Error> = try await bucket.withProxy(scenario.rules) { proxy in
                let store = try bucket.store(through: proxy, transfer: Self.downloadTransfer(concurrency: scenario.concurrency))
                let outcome: Result<LocalBlob, any Error>
                do {
                    outcome = .success(try await store.fetchBlob(for: entry, retrier: recorded.retrier))
                } catch {
                    outcome = .failure(error)
                }
                expectTraffic(proxy, scenario.traffic.adding([.getBlobRange: scenario.perPart.reduce(0, +)]))
                #expect((1 ... 3).map { number in proxy.count(.getBlobRange, where: Self.range(number)) } == scenario.perPart,
                        "attempts of ranges 1, 2, 3")
                return outcome
            }
            #expect(recorded.waits == PolicyWaits.restore(scenario.retried))
            #expect(recorded.lines.all.count == scenario.retried)
            if let fault = scenario.shown, scenario.retried > 0 {
                #expect(recorded.lines.all.allSatisfy { $0.contains(fault.evidence) }, "the retries show \(fault): \(recorded.lines.all)")
            }
            switch outcome {
            case .success(let blob):
                defer { unlink(blob.path) }
                #expect(scenario.ending == .whole)
                #expect(FileManager.default.contents(atPath: blob.path) == Data(bytes), "the ranges landed whole, each at its offset")
            case .failure(let error):
                #expect(scenario.ending == .failed(retryable: Retrier.isRetryable(error)), "the call that failed for good: \(error)")
            }
        }
    }
}
