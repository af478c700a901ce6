/// An error that knows whether trying the same call again can help.
///
/// Store errors adopt it so the retrier need not know HTTP or S3: a 503 or a
/// body cut off mid-stream says `true`, a 403 or a malformed request `false`.
public protocol RetryableError: Error {
    var isRetryable: Bool { get }
}
