// Splits a log into lines without holding the whole file in memory: logs grow large, and both
// opening and verifying walk them front to back once. It also reports the one case the format
// treats specially, a final line with no newline: a write cut short by a crash (a torn tail).

/// Reads newline-terminated lines from a ``FileSink`` in large chunks.
struct AuditLineReader {
    /// One line, without its newline.
    struct Line {
        var bytes: ArraySlice<UInt8>
        /// File offset of the first byte.
        var offset: UInt64
        /// 1-based line number.
        var number: Int
        /// `false` for a final line without a newline (a torn tail).
        var isTerminated: Bool
    }

    static let chunkSize = 1 << 20
    /// A complete line longer than this is refused (records are a few hundred bytes).
    static let maxLineLength = 1 << 20

    private let sink: any FileSink
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferOffset: UInt64 = 0
    /// Where the next line starts in `buffer`.
    private var cursor = 0
    private var reachedEnd = false
    private var lineNumber = 0

    init(sink: any FileSink) {
        self.sink = sink
    }

    /// The next line, or `nil` at end of file.
    mutating func next() throws -> Line? {
        var scanned = 0  // bytes after `cursor` already searched for a newline
        while true {
            if let newline = buffer[(cursor + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                return emit(end: newline, terminated: true)
            }
            if reachedEnd {
                return cursor < buffer.count ? emit(end: buffer.count, terminated: false) : nil
            }
            scanned = buffer.count - cursor
            guard scanned <= AuditLineReader.maxLineLength else {
                throw AuditError(.corrupt, "line \(lineNumber + 1) at offset \(bufferOffset + UInt64(cursor)) "
                    + "is longer than \(AuditLineReader.maxLineLength) bytes")
            }
            try refill()
        }
    }

    private mutating func emit(end: Int, terminated: Bool) -> Line {
        lineNumber += 1
        let line = Line(bytes: buffer[cursor..<end], offset: bufferOffset + UInt64(cursor), number: lineNumber,
                        isTerminated: terminated)
        cursor = terminated ? end + 1 : end
        return line
    }

    /// Drops consumed bytes and appends the next chunk.
    private mutating func refill() throws {
        let consumed = cursor
        let chunk = try sink.read(at: bufferOffset + UInt64(buffer.count), count: AuditLineReader.chunkSize)
        if consumed > 0 {
            buffer.removeFirst(consumed)
            bufferOffset += UInt64(consumed)
            cursor = 0
        }
        if chunk.isEmpty { reachedEnd = true }
        buffer += chunk
    }
}
