// The buffering half of decoding: bytes arrive in arbitrary pieces (TLS records, socket reads,
// one byte at a time in tests) and frames come out. Keeps one growable buffer with a read index
// and compacts lazily, so steady-state decoding does not allocate beyond the payload itself.

/// Accumulates inbound bytes and yields complete frames.
public struct FrameAccumulator: Sendable {
    public var decoder: FrameDecoder
    private var storage: [UInt8] = []
    private var readIndex = 0

    public init(decoder: FrameDecoder = FrameDecoder()) {
        self.decoder = decoder
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { storage.count - readIndex }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile(adding: bytes.count)
        storage.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame, or `nil` when more bytes are needed.
    /// - Throws: ``WireProtocolError`` on an invalid header; the accumulator is unusable afterwards.
    public mutating func nextFrame() throws(WireProtocolError) -> Frame? {
        guard bufferedByteCount > 0 else { return nil }
        let start = readIndex
        let decoder = self.decoder
        let result: Result<FrameDecodeResult, WireProtocolError> = storage.withUnsafeBytes { raw in
            do throws(WireProtocolError) {
                return .success(try decoder.decode(UnsafeRawBufferPointer(rebasing: raw[start...])))
            } catch {
                return .failure(error)
            }
        }
        switch try result.get() {
        case .needMoreBytes:
            return nil
        case .frame(let frame, let consumed):
            readIndex += consumed
            if readIndex == storage.count {
                storage.removeAll(keepingCapacity: storage.capacity <= 64 * 1024)
                readIndex = 0
            }
            return frame
        }
    }

    /// Releases buffer memory when nothing is pending (idle connections should cost little).
    public mutating func shrinkIfIdle() {
        if bufferedByteCount == 0 {
            storage = []
            readIndex = 0
        }
    }

    private mutating func compactIfWorthwhile(adding count: Int) {
        guard readIndex > 0 else { return }
        if readIndex >= storage.count / 2 || storage.count + count > storage.capacity {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
