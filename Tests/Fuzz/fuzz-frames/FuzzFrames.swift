// libFuzzer target for the frame decoder: the input is split into pieces at positions derived from
// its first byte and fed to a FrameAccumulator; every frame that decodes goes through the payload
// decoders and the stream state machines. The drip-feed property is checked on every input:
// decoding in pieces yields exactly what decoding in one buffer yields. Built with `make fuzz`;
// ordinary builds get the replay main below.

import Foundation
import RPCCore

func decodeAll(_ bytes: [UInt8], pieces: Int) -> ([Frame], WireProtocolError?) {
    var accumulator = FrameAccumulator(decoder: FrameDecoder(maxPayloadSize: 64 * 1024))
    var frames: [Frame] = []
    let step = max(1, bytes.count / max(1, pieces))
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        accumulator.append(Array(bytes[start..<end]))
        start = end
        do {
            while let frame = try accumulator.nextFrame() { frames.append(frame) }
        } catch {
            return (frames, error)
        }
    }
    return (frames, nil)
}

func exercise(_ frame: Frame, tracker: inout StreamIDTracker, streams: inout [UInt32: StreamStateMachine]) {
    switch frame.type {
    case .callOpen:
        guard let open = try? CallOpen(decoding: frame.payload) else { return }
        var again: [UInt8] = []
        open.encode(into: &again)
        precondition((try? CallOpen(decoding: again)) == open, "CALL_OPEN does not round-trip")
        if case .accept? = try? tracker.open(frame.streamID, activeCount: streams.count) {
            let kind = MethodKind(rawValue: UInt8(open.methodID % 4)) ?? .unary
            streams[frame.streamID] = StreamStateMachine(role: .server, kind: kind, streamID: frame.streamID)
        }
    case .message:
        _ = try? streams[frame.streamID]?.receiveMessage(endStream: frame.flags.contains(.endStream))
    case .end:
        if let end = try? CallEnd(decoding: frame.payload) {
            var again: [UInt8] = []
            end.encode(into: &again)
            precondition((try? CallEnd(decoding: again)) == end, "END does not round-trip")
        }
        _ = try? streams[frame.streamID]?.receiveHalfClose()
    case .cancel:
        streams[frame.streamID]?.cancel()
    case .goAway:
        _ = try? GoAway(decoding: frame.payload)
        _ = tracker.beginDrain()
    case .settings:
        _ = try? ConnectionSettings(decoding: frame.payload)
    default:
        _ = tracker.lookup(frame.streamID, isActive: streams[frame.streamID] != nil)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 1 else { return 0 }
    let pieces = Int(data[0] % 16) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let (whole, wholeError) = decodeAll(bytes, pieces: 1)
    let (split, splitError) = decodeAll(bytes, pieces: pieces)
    precondition(whole == split && wholeError == splitError, "split decoding differs from whole decoding")
    var tracker = StreamIDTracker(maxConcurrentStreams: 8)
    var streams: [UInt32: StreamStateMachine] = [:]
    for frame in whole { exercise(frame, tracker: &tracker, streams: &streams) }
    return 0
}

#if !FUZZING
@main
struct ReplayMain {
    static func main() {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)).map { names in
                names.sorted().map { (path as NSString).appendingPathComponent($0) }
            } ?? [path]
            for file in files {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                _ = [UInt8](bytes).withUnsafeBufferPointer { fuzzFrames($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("fuzz-frames replay: \(count) inputs, no crash")
    }
}
#endif
