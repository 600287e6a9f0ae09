// The binary framing between the scheduler and an HSM worker process. One frame is a 4-byte
// little-endian body length, a 1-byte type and the body; a whole batch of requests travels in one
// frame. Its outcomes come back in order, in one or more outcomes frames whose counts add up to
// the batch's: the child sends what it has once an unsent outcome that a caller awaits alone
// (flag 2: not part of a batch the caller awaits as a whole) is `flush` µs old, and the rest at
// the end of the batch. So a single request that landed in a batch of 64 does not wait for the
// other 63, while batch callers, who gain nothing from early parts, still cost one frame.
// Integers are little-endian; byte strings carry a u32 length.
//
//   hello   (1): modulePath, tokenLabel, pin, [u32 flush µs; 0 = whole batches] → helloReply (2): u8 ok, message
//   batch   (3): u32 n, n × item                          → outcomes (4): u32 k, k × outcome; k ≥ 1, Σk = n
//   probe   (5): healthKey (empty = session check only)   → outcomes (4) with one outcome
//   item:    u8 op (1 sign, 2 encrypt, 3 decrypt, 4 sign digest, 5 encrypt derived, 6 decrypt derived),
//            u8 mechanism, u8 flags (1 = ECDSA DER, 2 = awaited alone), keyId, data, aad, iv, tag,
//            [credentialId: ops 5 and 6 only], u32 µs until the deadline (0 = none)
//   outcome: u8 tag (1 signature, 2 sealed, 3 plaintext, 10 failed, 11 key missing,
//            12 backend fault, 13 expired, 14 no session), then the result bytes (sealed: iv, ciphertext, tag) or
//            an error: u8 kind, u32 retry ms, message, u32 CKR (0xFFFFFFFF = none), function

import PKCS11

enum FrameType: UInt8 {
    case hello = 1, helloReply = 2, batch = 3, outcomes = 4, probe = 5
}

/// Largest frame either side accepts (a batch of 4096 one-KiB messages fits easily).
let maxFrameLength = 64 << 20

struct FrameWriter {
    var bytes: [UInt8] = [0, 0, 0, 0]

    init(_ type: FrameType) { bytes.append(type.rawValue) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func data(_ d: [UInt8]) { u32(UInt32(d.count)); bytes.append(contentsOf: d) }
    mutating func string(_ s: String) { data(Array(s.utf8)) }

    /// The frame with its length prefix filled in.
    mutating func finish() -> [UInt8] {
        let length = UInt32(bytes.count - 4).littleEndian
        withUnsafeBytes(of: length) { for i in 0..<4 { bytes[i] = $0[i] } }
        return bytes
    }
}

struct FrameReader {
    let bytes: [UInt8]
    var offset = 0

    struct Malformed: Error {}

    init(body: [UInt8]) { bytes = body }

    mutating func u8() throws(Malformed) -> UInt8 {
        guard offset < bytes.count else { throw Malformed() }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(Malformed) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw Malformed() }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    mutating func data() throws(Malformed) -> [UInt8] {
        let n = Int(try u32())
        guard bytes.count - offset >= n else { throw Malformed() }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func string() throws(Malformed) -> String { String(decoding: try data(), as: UTF8.self) }
}

extension SignatureMechanism {
    var wireCode: UInt8 {
        switch self {
        case .ed25519: 1
        case .ecdsaP256SHA256: 2
        case .rsaPKCS1SHA256: 3
        case .rsaPSSSHA256: 4
        }
    }

    init?(wireCode: UInt8) {
        switch wireCode {
        case 1: self = .ed25519
        case 2: self = .ecdsaP256SHA256
        case 3: self = .rsaPKCS1SHA256
        case 4: self = .rsaPSSSHA256
        default: return nil
        }
    }
}

extension FrameWriter {
    mutating func item(_ item: WorkItem, now: ContinuousClock.Instant) {
        let alone: UInt8 = item.awaitedAlone ? 2 : 0
        switch item.operation {
        case .sign(let message, let mechanism, let format):
            u8(1); u8(mechanism.wireCode); u8((format == .der ? 1 : 0) | alone)
            data(item.key.id); data(message); data([]); data([]); data([])
        case .encrypt(let plaintext, let aad):
            u8(2); u8(0); u8(alone)
            data(item.key.id); data(plaintext); data(aad); data([]); data([])
        case .decrypt(let box, let aad):
            u8(3); u8(0); u8(alone)
            data(item.key.id); data(box.ciphertext); data(aad); data(box.iv); data(box.tag)
        case .signDigest(let digest, let mechanism, let format):
            u8(4); u8(mechanism.wireCode); u8((format == .der ? 1 : 0) | alone)
            data(item.key.id); data(digest); data([]); data([]); data([])
        case .encryptDerived(let plaintext, let aad, let credential):
            u8(5); u8(0); u8(alone)
            data(item.key.id); data(plaintext); data(aad); data([]); data([]); data(credential)
        case .decryptDerived(let box, let aad, let credential):
            u8(6); u8(0); u8(alone)
            data(item.key.id); data(box.ciphertext); data(aad); data(box.iv); data(box.tag); data(credential)
        }
        if let deadline = item.deadline {
            let left = deadline - now
            let micros = max(1, left.wholeMicroseconds)
            u32(UInt32(clamping: left <= .zero ? 1 : micros))
        } else {
            u32(0)
        }
    }

    mutating func outcome(_ outcome: ExecutionOutcome) {
        switch outcome {
        case .done(.signature(let s)): u8(1); data(s)
        case .done(.sealed(let box)): u8(2); data(box.iv); data(box.ciphertext); data(box.tag)
        case .done(.plaintext(let p)): u8(3); data(p)
        case .failed(let e): u8(10); error(e)
        case .keyMissing: u8(11)
        case .backendFault(let e): u8(12); error(e)
        case .expired: u8(13)
        case .noSession: u8(14)
        }
    }

    private mutating func error(_ e: HSMError) {
        let (kind, retry): (UInt8, Duration) = switch e.kind {
        case .notFound: (1, .zero)
        case .deadlineExceeded: (2, .zero)
        case .queueFull(let r): (3, r)
        case .unavailable(let r): (4, r)
        case .invalidArgument: (5, .zero)
        case .failedPrecondition: (6, .zero)
        case .cancelled: (7, .zero)
        case .internal: (8, .zero)
        }
        u8(kind)
        u32(UInt32(retry.components.seconds * 1000 + retry.components.attoseconds / 1_000_000_000_000_000))
        string(e.message)
        u32(e.cause?.returnValue.map { UInt32(truncatingIfNeeded: $0) } ?? 0xFFFF_FFFF)
        string(e.cause?.function ?? "")
    }
}

extension FrameReader {
    mutating func item(now: ContinuousClock.Instant) throws(Malformed) -> WorkItem {
        let op = try u8(), mech = try u8(), flags = try u8()
        let key = KeyReference(id: try data())
        let payload = try data(), aad = try data(), iv = try data(), tag = try data()
        let credential = op == 5 || op == 6 ? try data() : []
        let micros = try u32()
        let operation: HSMOperation
        switch op {
        case 1:
            guard let mechanism = SignatureMechanism(wireCode: mech) else { throw Malformed() }
            operation = .sign(message: payload, mechanism: mechanism, ecdsaFormat: flags & 1 != 0 ? .der : .raw)
        case 2: operation = .encrypt(plaintext: payload, aad: aad)
        case 3: operation = .decrypt(box: GCMSealedBox(iv: iv, ciphertext: payload, tag: tag), aad: aad)
        case 4:
            guard let mechanism = SignatureMechanism(wireCode: mech) else { throw Malformed() }
            operation = .signDigest(digest: payload, mechanism: mechanism, ecdsaFormat: flags & 1 != 0 ? .der : .raw)
        case 5: operation = .encryptDerived(plaintext: payload, aad: aad, credentialID: credential)
        case 6:
            operation = .decryptDerived(box: GCMSealedBox(iv: iv, ciphertext: payload, tag: tag), aad: aad,
                                        credentialID: credential)
        default: throw Malformed()
        }
        return WorkItem(key: key, operation: operation, deadline: micros == 0 ? nil : now + .microseconds(Int(micros)),
                        awaitedAlone: flags & 2 != 0)
    }

    mutating func outcome(backend: String) throws(Malformed) -> ExecutionOutcome {
        switch try u8() {
        case 1: return .done(.signature(try data()))
        case 2:
            let iv = try data(), ct = try data(), tag = try data()
            return .done(.sealed(GCMSealedBox(iv: iv, ciphertext: ct, tag: tag)))
        case 3: return .done(.plaintext(try data()))
        case 10: return .failed(try error(backend: backend))
        case 11: return .keyMissing
        case 12: return .backendFault(try error(backend: backend))
        case 13: return .expired
        case 14: return .noSession
        default: throw Malformed()
        }
    }

    private mutating func error(backend: String) throws(Malformed) -> HSMError {
        let kind = try u8()
        let retry = Duration.milliseconds(Int(try u32()))
        let message = try string()
        let rv = try u32()
        let function = try string()
        let k: HSMError.Kind = switch kind {
        case 1: .notFound
        case 2: .deadlineExceeded
        case 3: .queueFull(retryAfter: retry)
        case 4: .unavailable(retryAfter: retry)
        case 5: .invalidArgument
        case 6: .failedPrecondition
        case 7: .cancelled
        default: .internal
        }
        let cause = rv == 0xFFFF_FFFF ? nil : PKCS11Error(returnValue: UInt(rv), function: function)
        return HSMError(k, message, backend: backend, cause: cause)
    }
}
