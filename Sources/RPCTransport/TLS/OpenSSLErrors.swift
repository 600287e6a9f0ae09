// OpenSSL reports failures through a thread-local error queue. Every failing call site drains it
// into the `cause` of a TransportError, so the message says why (e.g. "certificate verify
// failed") and a stale entry never leaks into the next, unrelated error on the same thread.

import COpenSSL

enum OpenSSLErrors {
    /// Empties the calling thread's OpenSSL error queue and returns its entries joined by "; ".
    static func drain() -> String? {
        var parts: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buffer, buffer.count)
            parts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// A TransportError whose cause is the drained queue.
    static func error(_ code: TransportError.Code, _ message: String) -> TransportError {
        TransportError(code, message, cause: drain())
    }
}
