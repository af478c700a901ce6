/// What the fault proxy does to a request instead of (or on top of) passing it to S3: one kind
/// per class of failure that the retry rule names (DESIGN.md, "Per-call retries").
enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// An S3-style XML error with this status and S3 `Code`, answered by the proxy: S3 never sees
    /// the request (a throttle or an overloaded front end).
    case status(Int, code: String)
    /// The connection is reset (RST, via `SO_LINGER` 0) once the request has arrived, before it is
    /// passed on: S3 never sees it.
    case reset
    /// The connection is closed (FIN) once the request has arrived, without a word: the client
    /// meets an unexpected end of stream. S3 never sees the request.
    case hangUp
    /// The request is passed on and S3 acts on it, but its answer is lost to a reset: the retry
    /// meets the effect of the first attempt (a commit that is already there, an upload that is
    /// already complete).
    case lostAnswer
    /// S3's real answer, with its real `Content-Length`, but only the first half of the body before
    /// the connection closes: a 200 that is not an answer.
    case cutBody
    /// No answer at all, until the client gives up and closes (its own read timeout).
    case silence
    /// A proxy's HTML page with this status where S3's XML or an entry's JSON was expected; S3
    /// never sees the request.
    case htmlPage(status: Int)
    /// S3's answer to a request sent to the wrong region: 301 PermanentRedirect with the bucket's
    /// region in `x-amz-bucket-region`. S3 never sees the request.
    case wrongRegion(String)

    static let throttled = Fault.status(429, code: "SlowDown")
    static let internalError = Fault.status(500, code: "InternalError")
    static let unavailable = Fault.status(503, code: "ServiceUnavailable")
    static let badRequest = Fault.status(400, code: "InvalidRequest")
    static let accessDenied = Fault.status(403, code: "AccessDenied")

    /// Words the client's error carries for this fault (in a retry line or a result line): the
    /// proof that the fault reached the code as the class it stands for, and not as some other.
    var evidence: String {
        switch self {
        // A HEAD's error has no body, so no S3 Code: the status is what all of them show.
        case .status(let status, _): "HTTP \(status)"
        case .reset, .lostAnswer: "Connection reset by peer"
        case .hangUp: "remoteConnectionClosed"
        case .cutBody, .htmlPage: "with a body that could not be read"
        case .silence: "readTimeout"
        case .wrongRegion(let region): "region=\(region)"
        }
    }

    var description: String {
        switch self {
        case .status(let status, let code): "HTTP \(status) \(code)"
        case .reset: "connection reset"
        case .hangUp: "closed without an answer"
        case .lostAnswer: "answer lost to a reset"
        case .cutBody: "body cut in half"
        case .silence: "no answer"
        case .htmlPage(let status): "HTML page with HTTP \(status)"
        case .wrongRegion(let region): "redirect to \(region)"
        }
    }
}

/// "Do `fault` to the first `times` requests of `call` (that `when` accepts), after letting the
/// first `skipping` of them through."
///
/// Each rule counts the requests it matches on its own; when two rules match one request, the
/// first rule in the plan whose window holds it applies.
struct FaultRule: Sendable, CustomStringConvertible {
    let call: S3Call
    let fault: Fault
    /// nil: every matching request, for a fault that never stops.
    let times: Int?
    let skipping: Int
    let when: @Sendable (SeenRequest) -> Bool

    init(_ call: S3Call, _ fault: Fault, times: Int?, skipping: Int = 0,
         when: @escaping @Sendable (SeenRequest) -> Bool = { _ in true }) {
        self.call = call
        self.fault = fault
        self.times = times
        self.skipping = skipping
        self.when = when
    }

    /// A fault on every matching request: the call can only give up.
    static func always(_ call: S3Call, _ fault: Fault, when: @escaping @Sendable (SeenRequest) -> Bool = { _ in true }) -> FaultRule {
        FaultRule(call, fault, times: nil, when: when)
    }

    func matches(_ request: SeenRequest) -> Bool {
        request.call == call && when(request)
    }

    /// Whether the `index`-th (0-based) matching request gets the fault.
    func applies(toMatch index: Int) -> Bool {
        index >= skipping && times.map { index < skipping + $0 } ?? true
    }

    var description: String {
        let count = times.map { "the first \($0)" } ?? "every"
        return "\(fault) on \(count) \(call)" + (skipping > 0 ? " after \(skipping)" : "")
    }
}

/// One request as the proxy saw it, and what it did to it.
struct SeenRequest: Sendable, CustomStringConvertible {
    let method: String
    /// Percent-decoded, with the bucket in front (path-style).
    let path: String
    let query: [String: String]
    let call: S3Call
    /// The `partNumber` of an UploadPart.
    let partNumber: Int?
    /// The first byte a ranged GET asks for.
    let rangeStart: Int64?
    /// nil when the request went to S3 and its answer came back untouched.
    var fault: Fault?
    /// The access key ID the request was signed with (from its `Authorization` header).
    var accessKeyID: String? = nil
    /// The region of the signature's scope.
    var signedRegion: String? = nil
    /// The request's `x-amz-acl` and `x-amz-server-side-encryption…` headers.
    var writeHeaders: [String: String] = [:]

    var description: String {
        "\(call) \(method) \(path)" + (partNumber.map { " part \($0)" } ?? "") + (rangeStart.map { " from \($0)" } ?? "")
            + (fault.map { " [\($0)]" } ?? "")
    }
}
