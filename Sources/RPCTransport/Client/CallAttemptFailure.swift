// One failed attempt of a call, with what the retry policy needs to know beyond the status:
// whether the server may have processed it. A refused stream, a stream above a GOAWAY's last id or
// a connection that never came up are certainly unprocessed and safe to retry for any method.

import RPCCore

/// The outcome of a failed attempt.
struct CallAttemptFailure: Error {
    var error: RPCError
    /// `false` when the server certainly did not run the handler.
    var mayHaveBeenProcessed: Bool

    /// Whether this failure may be retried for a call with the given properties.
    func isRetryable(idempotent: Bool) -> Bool {
        if error.code == .deadlineExceeded || error.code == .cancelled { return false }
        if !mayHaveBeenProcessed { return true }
        return error.code == .unavailable && idempotent
    }

    /// Server END statuses that mean "refused before processing".
    static func fromServer(_ error: RPCError) -> CallAttemptFailure {
        let reason = error.details?.reason ?? ""
        let refused = (error.code == .unavailable && reason == "GOAWAY")
            || (error.code == .resourceExhausted && reason == "TOO_MANY_STREAMS")
        return CallAttemptFailure(error: error, mayHaveBeenProcessed: !refused)
    }
}
