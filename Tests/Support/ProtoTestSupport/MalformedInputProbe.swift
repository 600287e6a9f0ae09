// Drives one message decoder with hostile inputs and reports every misbehaviour as text, so
// that each test target (PersonaProtos, the kitchen-sink fixture) can assert "no problems" for
// every message type with one helper. Crashes are not reported: they end the run, which is the
// point of running these under AddressSanitizer.

/// What one decode attempt did.
public enum DecodeOutcome: Sendable {
    /// Decoded; the value re-encoded to these bytes.
    case decoded(reencoded: [UInt8])
    /// Threw `MessageDecodingError` for this message name, with this reason.
    case rejected(messageName: String, reason: String)
    /// Threw something else (always a problem).
    case failed(String)
}

/// Hostile-input checks against one message type.
public struct MalformedInputProbe {
    public let messageName: String
    private let attempt: ([UInt8]) -> DecodeOutcome

    /// - Parameter attempt: decodes bytes and re-encodes on success.
    public init(messageName: String, attempt: @escaping ([UInt8]) -> DecodeOutcome) {
        self.messageName = messageName
        self.attempt = attempt
    }

    /// Decodes `input`; accepted input must re-encode to bytes that decode and re-encode the same.
    /// - Returns: whether the input was accepted, and a problem description if any.
    public func check(_ input: [UInt8], _ label: @autoclosure () -> String) -> (accepted: Bool, problem: String?) {
        switch attempt(input) {
        case .decoded(let reencoded):
            guard case .decoded(let again) = attempt(reencoded), again == reencoded else {
                return (true, "\(messageName) \(label()): accepted, but its re-encoding does not decode stably")
            }
            return (true, nil)
        case .rejected(let name, let reason):
            if name != messageName { return (false, "\(messageName) \(label()): error names \(name)") }
            if reason.isEmpty { return (false, "\(messageName) \(label()): error without a reason") }
            return (false, nil)
        case .failed(let description):
            return (false, "\(messageName) \(label()): threw \(description), not MessageDecodingError")
        }
    }

    /// Random byte strings (never crash; rejections must be MessageDecodingError; acceptances stable).
    public func randomInputs(count: Int, seed: UInt64, maxLength: Int = 64) -> (problems: [String], rejected: Int) {
        var generator = SeededGenerator(seed: seed)
        var problems: [String] = []
        var rejected = 0
        for index in 0..<count {
            let input = generator.bytes(Int.random(in: 0...maxLength, using: &generator))
            let result = check(input, "random input #\(index) (seed \(seed))")
            if let problem = result.problem { problems.append(problem) }
            if !result.accepted { rejected += 1 }
        }
        return (problems, rejected)
    }

    /// Every prefix of a valid encoding: accepted exactly when it ends on a top-level field boundary.
    public func truncations(of valid: [UInt8]) -> [String] {
        guard let fields = WireFormat.topLevelFields(valid) else { return ["\(messageName): sample is not well-formed"] }
        let boundaries = Set([0] + fields.map(\.end))
        var problems: [String] = []
        for length in 0..<valid.count {
            let result = check(Array(valid[..<length]), "prefix of \(length)/\(valid.count) bytes")
            if let problem = result.problem { problems.append(problem) }
            if result.accepted != boundaries.contains(length) {
                problems.append("\(messageName): prefix of \(length)/\(valid.count) bytes was "
                                + (result.accepted ? "accepted inside a field" : "rejected on a field boundary"))
            }
        }
        return problems
    }

    /// Length prefixes that point past the end, overlong varints, and bad wire types: all must fail.
    public func badFraming(of valid: [UInt8]) -> [String] {
        var inputs: [(String, [UInt8])] = [
            ("an 11-byte varint key", [UInt8](repeating: 0xFF, count: 10) + [0x01]),
            ("a length prefix of 2^32", WireFormat.key(1, WireFormat.lengthDelimited) + WireFormat.encodeVarint(1 << 32)),
            ("a length prefix past the end", WireFormat.key(1, WireFormat.lengthDelimited) + [0x7F, 0x01, 0x02]),
            ("a 10-byte garbage length prefix", WireFormat.key(1, WireFormat.lengthDelimited)
                + [UInt8](repeating: 0xFF, count: 9) + [0x7F]),
            ("wire type 7", WireFormat.key(1, 7) + [0x00]),
            ("wire type 6", WireFormat.key(2, 6) + [0x00]),
            ("field number 0", WireFormat.key(0, WireFormat.varint) + [0x01]),
            ("a group start (wire type 3)", WireFormat.key(1, 3) + WireFormat.key(1, 4)),
            ("a truncated fixed64", WireFormat.key(1, WireFormat.fixed64) + [0x01, 0x02]),
        ]
        if let fields = WireFormat.topLevelFields(valid) {
            for field in fields {
                guard let lengthOffset = field.lengthOffset else { continue }
                // Same field, its length raised past the end of the input.
                let remaining = valid.count - lengthOffset
                let header = Array(valid[field.start..<lengthOffset])
                let body = Array(valid[field.end...])
                inputs.append(("field \(field.number) with its length past the end",
                               Array(valid[..<field.start]) + header + WireFormat.encodeVarint(UInt64(remaining + 1))
                                   + body))
            }
        }
        var problems: [String] = []
        for (label, input) in inputs {
            let result = check(input, label)
            if let problem = result.problem { problems.append(problem) }
            if result.accepted { problems.append("\(messageName): accepted \(label)") }
        }
        return problems
    }

    /// A string field holding invalid UTF-8 or U+0000 must be rejected, naming the problem.
    public func invalidStrings(fieldNumbers: [Int32]) -> [String] {
        let payloads: [(String, [UInt8], String)] = [
            ("a lone continuation byte", [0x61, 0x80, 0x62], "UTF-8"),
            ("a truncated 2-byte sequence", [0xC3], "UTF-8"),
            ("an overlong '/'", [0xC0, 0xAF], "UTF-8"),
            ("a UTF-16 surrogate", [0xED, 0xA0, 0x80], "UTF-8"),
            ("byte 0xFF", [0xFF, 0x41], "UTF-8"),
            ("a code point past U+10FFFF", [0xF4, 0x90, 0x80, 0x80], "UTF-8"),
            ("an embedded U+0000", [0x61, 0x00, 0x62], "U+0000"),
            ("a leading U+0000", [0x00, 0x61], "U+0000"),
        ]
        var problems: [String] = []
        for number in fieldNumbers {
            for (label, payload, expected) in payloads {
                let input = WireFormat.field(number, bytes: payload)
                switch attempt(input) {
                case .rejected(let name, let reason):
                    if name != messageName || !reason.contains(expected) {
                        problems.append("\(messageName) field \(number) with \(label): rejected as \(name): \(reason)")
                    }
                default:
                    problems.append("\(messageName) field \(number) with \(label): not rejected")
                }
            }
        }
        return problems
    }
}
