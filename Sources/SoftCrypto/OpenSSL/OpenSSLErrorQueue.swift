// OpenSSL reports failures through a thread-local queue. Every failing call site drains it, both
// to put the reasons into the Swift error and so that stale entries never leak into the next,
// unrelated failure on the same thread.

import COpenSSL

enum OpenSSLErrorQueue {
    /// Removes and returns every queued error as text (oldest first).
    static func drain() -> [String] {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let end = buffer.firstIndex(of: 0) ?? buffer.count
            messages.append(String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages
    }

    /// Discards queued errors after a call whose failure is an expected outcome (a bad signature).
    static func clear() { ERR_clear_error() }
}
