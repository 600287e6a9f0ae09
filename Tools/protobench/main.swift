// protobench: what the generated Swift wrappers cost on the signing hot path. For a SignRequest
// and a SignBatchRequest of 64 items it times encode, decode and a full round trip through the
// generated code, and, as the baseline measured in the same run, protobuf-c packing and
// unpacking a prepared C struct directly (the codec's own cost). It prints ns per operation and
// the ratio to the baseline. Run it in release mode on an idle machine:
//
//   swift run -c release protobench [iterations]

import CPersonaProtos
import CProtobufC
import Foundation
import PersonaProtos

/// CPU time of this thread in ns: unlike wall-clock time it does not grow while other processes
/// of a busy machine hold the CPU.
func threadCPUTime() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) * 1e9 + Double(now.tv_nsec)
}

/// ns of CPU per call of `body`: the best of 7 rounds of `iterations / 7` calls after a warm-up.
func measure(_ iterations: Int, _ body: () -> Void) -> Double {
    for _ in 0..<max(1, iterations / 20) { body() }
    let perRound = max(1, iterations / 7)
    var best = Double.infinity
    for _ in 0..<7 {
        let start = threadCPUTime()
        for _ in 0..<perRound { body() }
        best = min(best, (threadCPUTime() - start) / Double(perRound))
    }
    return best
}

/// Keeps results alive so the optimizer cannot drop the work.
nonisolated(unsafe) var sink = 0

func sampleRequest(_ index: Int) -> SignRequest {
    SignRequest(keyName: "did-signing-key-\(index % 7)", version: 3,
                input: .data(Array(repeating: UInt8(truncatingIfNeeded: index), count: 96)),
                inputChecksum: .inputCrc32c(0xDEAD_BEEF), encoding: .rawRS, requestId: "req-\(index)-0123456789")
}

/// protobuf-c alone: a C SignRequest packed and unpacked with libprotobuf-c's default allocator.
func baselineSignRequest(_ iterations: Int) -> (encode: Double, decode: Double) {
    let keyName = strdup("did-signing-key-1")!
    let requestID = strdup("req-1-0123456789")!
    var payload = [UInt8](repeating: 7, count: 96)
    defer { free(keyName); free(requestID) }
    return payload.withUnsafeMutableBufferPointer { data in
        var message = Persona__Hsm__V1__SignRequest()
        persona__hsm__v1__sign_request__init(&message)
        message.key_name = keyName
        message.version = 3
        message.input_case = .init(rawValue: 3)
        message.data = ProtobufCBinaryData(len: data.count, data: data.baseAddress)
        message.input_checksum_case = .init(rawValue: 5)
        message.input_crc32c = 0xDEAD_BEEF
        message.encoding = .init(rawValue: 1)
        message.request_id = requestID
        var buffer = [UInt8](repeating: 0, count: 512)
        let encode = measure(iterations) {
            let size = persona__hsm__v1__sign_request__get_packed_size(&message)
            sink &+= buffer.withUnsafeMutableBufferPointer { persona__hsm__v1__sign_request__pack(&message, $0.baseAddress) }
            sink &+= size
        }
        let packed = Array(buffer[..<persona__hsm__v1__sign_request__pack(&message, &buffer)])
        let decode = measure(iterations) {
            let unpacked = packed.withUnsafeBufferPointer {
                persona__hsm__v1__sign_request__unpack(nil, $0.count, $0.baseAddress)
            }
            sink &+= Int(unpacked?.pointee.version ?? 0)
            persona__hsm__v1__sign_request__free_unpacked(unpacked, nil)
        }
        return (encode, decode)
    }
}

func report(_ name: String, _ nanoseconds: Double, baseline: Double) {
    let ratio = String(format: "%.2f", nanoseconds / baseline)
    print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
          + String(format: "%9.0f ns", nanoseconds) + "   \(ratio)× protobuf-c")
}

let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 200_000
let request = sampleRequest(1)
let requestBytes = request.serializedBytes()
let batch = SignBatchRequest(requests: (0..<64).map(sampleRequest))
let batchBytes = batch.serializedBytes()

let baseline = baselineSignRequest(iterations)
print("protobench: \(iterations) iterations; SignRequest is \(requestBytes.count) bytes, "
      + "SignBatchRequest(64) is \(batchBytes.count) bytes")
print("baseline protobuf-c SignRequest pack \(String(format: "%.0f", baseline.encode)) ns, "
      + "unpack+free \(String(format: "%.0f", baseline.decode)) ns")

let encode = measure(iterations) { sink &+= request.serializedBytes().count }
let decode = measure(iterations) { sink &+= Int((try? SignRequest(serializedBytes: requestBytes))?.version ?? 0) }
let roundTrip = measure(iterations) {
    sink &+= Int((try? SignRequest(serializedBytes: request.serializedBytes()))?.version ?? 0)
}
report("SignRequest encode (Swift → bytes)", encode, baseline: baseline.encode)
report("SignRequest decode (bytes → Swift)", decode, baseline: baseline.decode)
report("SignRequest round trip", roundTrip, baseline: baseline.encode + baseline.decode)

let batchIterations = max(1, iterations / 64)
let batchEncode = measure(batchIterations) { sink &+= batch.serializedBytes().count }
let batchDecode = measure(batchIterations) {
    sink &+= (try? SignBatchRequest(serializedBytes: batchBytes))?.requests.count ?? 0
}
report("SignBatchRequest(64) encode, per item", batchEncode / 64, baseline: baseline.encode)
report("SignBatchRequest(64) decode, per item", batchDecode / 64, baseline: baseline.decode)
if sink == 42 { print("") }
