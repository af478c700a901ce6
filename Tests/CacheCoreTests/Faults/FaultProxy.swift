import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy of our own on loopback, in front of the suite's moto_server, that breaks chosen
/// requests the way networks and services break them (see `Fault`) and records every request it
/// saw, so a test can count the attempts of each store call.
///
/// Each connection carries one request and is closed after it (`Connection: close`): a fault on
/// one request can then never spill over to the next, and every attempt of the client is a new
/// connection that the proxy sees whole.
///
/// Use `withFaultProxy`, which always stops it.
final class FaultProxy: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let port: Int
    private let upstream: String
    private let server: NIOAsyncChannel<Connection, Never>
    private let client: HTTPClient
    private let state: Mutex<State>
    private let accepted: AcceptedConnections
    private let acceptLoop = Mutex<Task<Void, Never>?>(nil)

    /// Counted where NIO accepts a connection, before the connection reads or answers a byte: a
    /// client that got an answer (even the pipeline's own 400 to a TLS hello) finds its connection
    /// counted. The accept loop, a task of its own, may take the connection later than that.
    private final class AcceptedConnections: Sendable {
        let count = Atomic<Int>(0)
    }

    private struct State {
        var rules: [FaultRule]
        /// How many requests each rule has matched so far.
        var matched: [Int]
        var requests: [SeenRequest] = []
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every request so far, in the order they arrived.
    var requests: [SeenRequest] { state.withLock { $0.requests } }

    /// Connections accepted, including ones that never carried a readable request (a TLS hello).
    var connections: Int { accepted.count.load(ordering: .sequentiallyConsistent) }

    /// How many requests of `call` arrived (that `where` accepts).
    func count(_ call: S3Call, where accept: (SeenRequest) -> Bool = { _ in true }) -> Int {
        requests.filter { $0.call == call && accept($0) }.count
    }

    /// Requests per call, leaving out the calls that were never made.
    var counts: [S3Call: Int] {
        Dictionary(requests.map { ($0.call, 1) }, uniquingKeysWith: +)
    }

    private init(port: Int, upstream: String, server: NIOAsyncChannel<Connection, Never>, accepted: AcceptedConnections,
                 client: HTTPClient, rules: [FaultRule]) {
        self.port = port
        self.accepted = accepted
        self.upstream = upstream
        self.server = server
        self.client = client
        self.state = Mutex(State(rules: rules, matched: Array(repeating: 0, count: rules.count)))
    }

    /// Ports the proxy picks from: below the kernel's ephemeral range (32768 and up on Linux,
    /// 49152 and up on macOS). Other tests find a "closed" port by binding port 0 and closing it,
    /// then expect a connection to it to be refused; a proxy bound to port 0 could be handed
    /// exactly that port, and answer in their place.
    static let ports = 20_000 ..< 32_000

    /// Listens on 127.0.0.1 on a free port and passes what `rules` leaves alone to `upstream`
    /// (`http://127.0.0.1:PORT`).
    static func start(upstream: String, rules: [FaultRule]) async throws -> FaultProxy {
        var server: NIOAsyncChannel<Connection, Never>?
        var failure: (any Error)?
        let accepted = AcceptedConnections()
        for _ in 0 ..< 50 where server == nil {
            do {
                server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(host: "127.0.0.1", port: Int.random(in: ports)) { channel in
                        accepted.count.add(1, ordering: .sequentiallyConsistent)
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                            return try Connection(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                failure = error
            }
        }
        guard let server else {
            throw FaultProxyError("the fault proxy found no free port in \(ports) after 50 tries: \(failure.map { "\($0)" } ?? "")")
        }
        guard let port = server.channel.localAddress?.port else {
            try? await server.channel.close()
            throw FaultProxyError("the fault proxy has no local port after binding")
        }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let proxy = FaultProxy(port: port, upstream: upstream, server: server, accepted: accepted, client: client, rules: rules)
        let task = Task { await proxy.acceptConnections() }
        proxy.acceptLoop.withLock { $0 = task }
        return proxy
    }

    /// Stops listening, drops every open connection (a held request among them) and waits until
    /// nothing of the proxy is running.
    func stop() async {
        let task = acceptLoop.withLock { $0 }
        task?.cancel()
        try? await server.channel.close()
        await task?.value
        try? await client.shutdown()
    }

    private func acceptConnections() async {
        try? await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    // MARK: - One connection

    private struct ReceivedRequest {
        let head: HTTPRequestHead
        let body: ByteBuffer
    }

    private struct Answer {
        let status: HTTPResponseStatus
        var headers: HTTPHeaders
        let body: ByteBuffer
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, _ in
            var parts = inbound.makeAsyncIterator()
            guard let request = try await Self.read(&parts) else { return }
            let fault = decide(request.head)
            let channel = connection.channel
            switch fault {
            case nil:
                try await reply(channel, to: request.head, with: forward(request))
            case .status(let status, let code):
                let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code>"
                    + "<Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>"
                try await reply(channel, to: request.head, with: Self.page(status, type: "application/xml", xml))
            case .wrongRegion(let region):
                let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>"
                    + "<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>"
                var answer = Self.page(301, type: "application/xml", xml)
                answer.headers.add(name: "x-amz-bucket-region", value: region)
                try await reply(channel, to: request.head, with: answer)
            case .htmlPage(let status):
                let html = "<!DOCTYPE html><html><head><title>\(status)</title></head>"
                    + "<body><h1>Gateway error</h1><p>The proxy could not serve this request.</p></body></html>"
                try await reply(channel, to: request.head, with: Self.page(status, type: "text/html; charset=utf-8", html))
            case .reset:
                try await Self.reset(channel)
            case .hangUp:
                try await channel.close()
            case .lostAnswer:
                _ = try await forward(request)
                try await Self.reset(channel)
            case .cutBody:
                let answer = try await forward(request)
                try await reply(channel, to: request.head, with: answer, cutAfter: answer.body.readableBytes / 2)
            case .silence:
                // Held until the client gives up and closes, or the proxy stops.
                while try await parts.next() != nil {}
            }
        }
    }

    private static func read(_ parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) async throws -> ReceivedRequest? {
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        while let part = try await parts.next() {
            switch part {
            case .head(let received): head = received
            case .body(var chunk): body.writeBuffer(&chunk)
            case .end: return head.map { ReceivedRequest(head: $0, body: body) }
            }
        }
        return nil
    }

    /// Records the request and picks its fault: the first rule whose window holds it.
    private func decide(_ head: HTTPRequestHead) -> Fault? {
        var seen = Self.describe(head)
        return state.withLock { state in
            var chosen: Fault?
            for index in state.rules.indices where state.rules[index].matches(seen) {
                let match = state.matched[index]
                state.matched[index] += 1
                if chosen == nil && state.rules[index].applies(toMatch: match) { chosen = state.rules[index].fault }
            }
            seen.fault = chosen
            state.requests.append(seen)
            return chosen
        }
    }

    private static func describe(_ head: HTTPRequestHead) -> SeenRequest {
        let pieces = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = String(pieces[0])
        var query: [String: String] = [:]
        if pieces.count > 1 {
            for pair in pieces[1].split(separator: "&") {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(nameValue[0])
                let value = nameValue.count > 1 ? String(nameValue[1]) : ""
                query[name.removingPercentEncoding ?? name] = value.removingPercentEncoding ?? value
            }
        }
        let path = rawPath.removingPercentEncoding ?? rawPath
        let range = head.headers.first(name: "range")
        let rangeStart = range.flatMap { text -> Int64? in
            guard text.hasPrefix("bytes=") else { return nil }
            return text.dropFirst("bytes=".count).split(separator: "-").first.flatMap { Int64($0) }
        }
        return SeenRequest(method: head.method.rawValue, path: path, query: query,
                           call: S3Call(method: head.method.rawValue, path: path, query: query, hasRange: range != nil),
                           partNumber: query["partNumber"].flatMap { Int($0) }, rangeStart: rangeStart, fault: nil,
                           accessKeyID: credentialScope(head.headers.first(name: "authorization")).first,
                           signedRegion: credentialScope(head.headers.first(name: "authorization")).dropFirst(2).first,
                           writeHeaders: Dictionary(head.headers.filter { name, _ in
                               name.lowercased() == "x-amz-acl" || name.lowercased().hasPrefix("x-amz-server-side-encryption")
                           }.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first }))
    }

    /// `[AKID, 20260101, us-east-1, s3, aws4_request]` from `AWS4-HMAC-SHA256 Credential=AKID/20260101/…, …`.
    private static func credentialScope(_ authorization: String?) -> [String] {
        guard let authorization, let start = authorization.range(of: "Credential=") else { return [] }
        let scope = authorization[start.upperBound...].prefix { $0 != "," }
        return scope.split(separator: "/").map(String.init)
    }

    // MARK: - Answers

    private static let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade"]

    /// The request as the client sent it, headers (Host and signature included) and body, to moto.
    private func forward(_ request: ReceivedRequest) async throws -> Answer {
        var outgoing = HTTPClientRequest(url: upstream + request.head.uri)
        outgoing.method = request.head.method
        for (name, value) in request.head.headers where !Self.hopByHop.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        if request.body.readableBytes > 0 || request.head.method == .PUT || request.head.method == .POST {
            outgoing.body = .bytes(request.body)
        }
        let response = try await client.execute(outgoing, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 256 << 20)
        return Answer(status: response.status, headers: response.headers, body: body)
    }

    private static func page(_ status: Int, type: String, _ text: String) -> Answer {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: type)
        return Answer(status: HTTPResponseStatus(statusCode: status), headers: headers, body: ByteBuffer(string: text))
    }

    /// Writes `answer`, closing the connection after it; with `cutAfter`, the head still announces
    /// the whole body but only that many bytes of it follow.
    private func reply(_ channel: any Channel, to request: HTTPRequestHead, with answer: Answer, cutAfter: Int? = nil) async throws {
        var headers = HTTPHeaders()
        for (name, value) in answer.headers where !Self.hopByHop.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        headers.add(name: "connection", value: "close")
        let isHead = request.method == .HEAD
        let hasNoBody = answer.status.code == 204 || answer.status.code == 304
        if isHead {
            // A HEAD answer announces the size of what a GET would send (S3's object, the proxy's
            // own page) and sends nothing.
            headers.add(name: "content-length", value: answer.headers.first(name: "content-length") ?? String(answer.body.readableBytes))
        } else if !hasNoBody {
            headers.add(name: "content-length", value: String(answer.body.readableBytes))
        }
        let head = HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers)
        try await channel.writeAndFlush(HTTPServerResponsePart.head(head)).get()
        if !isHead && !hasNoBody && answer.body.readableBytes > 0 {
            let sent = answer.body.getSlice(at: answer.body.readerIndex, length: cutAfter ?? answer.body.readableBytes) ?? ByteBuffer()
            try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(sent))).get()
        }
        if cutAfter != nil { return }
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }

    /// Close with RST rather than FIN: the client reads "connection reset by peer".
    private static func reset(_ channel: any Channel) async throws {
        if let sockets = channel as? any SocketOptionProvider {
            try await sockets.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try await channel.close()
    }
}

struct FaultProxyError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` with a fault proxy in front of `upstream`, stopping the proxy however `body` ends.
func withFaultProxy<T: Sendable>(upstream: String, rules: [FaultRule], _ body: (FaultProxy) async throws -> T) async throws -> T {
    let proxy = try await FaultProxy.start(upstream: upstream, rules: rules)
    do {
        let result = try await body(proxy)
        await proxy.stop()
        return result
    } catch {
        await proxy.stop()
        throw error
    }
}
