// Builds generated source text line by line with indentation, so renderers say what to emit
// rather than juggle whitespace; output is normalized (no trailing blanks, one final newline)
// so regeneration is byte-for-byte deterministic.

/// An indentation-aware text builder.
struct CodeWriter {
    private(set) var lines: [String] = []
    private var level = 0
    private let indentUnit = "    "

    /// Appends one line at the current indentation (an empty string gives a blank line).
    mutating func line(_ text: String = "") {
        if text.isEmpty {
            lines.append("")
        } else {
            lines.append(String(repeating: indentUnit, count: level) + text)
        }
    }

    /// Appends several lines (split on "\n") at the current indentation.
    mutating func lines(_ text: String) {
        for part in text.split(separator: "\n", omittingEmptySubsequences: false) { line(String(part)) }
    }

    /// Emits `opener`, the body one level deeper, then `closer`.
    mutating func block(_ opener: String, closer: String = "}", _ body: (inout CodeWriter) -> Void) {
        line(opener)
        level += 1
        body(&self)
        level -= 1
        line(closer)
    }

    /// Runs `body` one level deeper.
    mutating func indented(_ body: (inout CodeWriter) -> Void) {
        level += 1
        body(&self)
        level -= 1
    }

    /// `///` doc comment lines for `text`; nothing when nil or empty.
    mutating func doc(_ text: String?) {
        guard let text, !text.isEmpty else { return }
        for part in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line(part.isEmpty ? "///" : "/// " + part)
        }
    }

    /// `text` re-flowed into lines of at most `width` characters (for prose we write ourselves).
    static func wrapped(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines.joined(separator: "\n")
    }

    /// The text with trailing whitespace removed and exactly one final newline.
    var text: String {
        var trimmed = lines.map { line -> Substring in
            var view = Substring(line)
            while view.last == " " { view = view.dropLast() }
            return view
        }
        while trimmed.last?.isEmpty == true { trimmed.removeLast() }
        return trimmed.joined(separator: "\n") + "\n"
    }
}
