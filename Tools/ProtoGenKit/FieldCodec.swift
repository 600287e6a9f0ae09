// The Swift spelling of moving one field between a Swift value and protobuf-c's C struct, per
// field kind. Numbers are copied as is (C and Swift types match), bools become
// protobuf_c_boolean, enums pass their raw value, strings and bytes are copied into the arena,
// messages become arena-allocated C structs.

/// Per-kind conversion snippets used by ``CodecRenderer``.
enum FieldCodec {
    // MARK: C → Swift

    /// The expression that reads a whole (non-oneof) field from `c`.
    static func decode(_ field: FieldPlan) -> String {
        let source = "c.pointee.\(field.cMember)"
        let count = "count: c.pointee.\(field.cCountMember)"
        let name = SwiftNaming.stringLiteral(field.decl.name)
        switch field.storage {
        case .singular(let shape):
            return decodeValue(shape, from: source, field: field.decl.name, required: false)
        case .repeated(.number):
            return "arena.values(\(source), \(count))"
        case .repeated(.message(let info)):
            return "try arena.messages(\(source), \(count), field: \(name)) { try \(info.swiftName)(cMessage: $0, arena: arena) }"
        case .repeated(let shape):
            let element = decodeValue(shape, from: "element", field: field.decl.name, required: true, index: "index")
            let uses = element.contains("index") ? "index" : "_"
            let tryPrefix = element.hasPrefix("try ") ? "try " : ""
            return "\(tryPrefix)arena.map(\(source), \(count)) { element, \(uses) in \(element) }"
        case .map(let key, let value, _):
            let keyExpression = decodeValue(key, from: "entry.pointee.key", field: "key", required: true)
            let valueExpression = decodeValue(value, from: "entry.pointee.value", field: "value", required: true)
            return "try arena.dictionary(\(source), \(count), field: \(name)) { entry in "
                + "(\(keyExpression), \(valueExpression)) }"
        }
    }

    /// The expression that reads one value; `required` gives absent messages their default.
    static func decodeValue(_ shape: ValueShape, from source: String, field: String, required: Bool,
                            index: String? = nil) -> String {
        let name = SwiftNaming.stringLiteral(field)
        switch shape {
        case .number:
            return source
        case .bool:
            return "\(source) != 0"
        case .string:
            let indexArgument = index.map { ", index: \($0)" } ?? ""
            return "try arena.string(\(source), field: \(name)\(indexArgument))"
        case .bytes:
            return "arena.bytes(\(source))"
        case .enumeration(let info):
            return "\(info.swiftName)(rawValue: Int32(truncatingIfNeeded: \(source).rawValue))"
        case .message(let info):
            let read = "try arena.message(\(source), field: \(name)) { try \(info.swiftName)(cMessage: $0, arena: arena) }"
            return required ? "\(read) ?? \(info.swiftName)()" : read
        }
    }

    // MARK: Swift → C

    /// The statements that store a whole (non-oneof) field into `c`.
    static func encode(_ field: FieldPlan, into writer: inout CodeWriter) {
        let target = "c.pointee.\(field.cMember)"
        let value = "self.\(field.swiftName)"
        switch field.storage {
        case .singular(.message(let info)):
            writer.block("if let value = \(value) {") { writer in
                writer.line("\(target) = arena.message(\(info.cPrefix)__init) { value.write(to: $0, arena: arena) }")
            }
        case .singular(.string), .singular(.bytes):
            guard case .singular(let shape) = field.storage else { return }
            writer.block("if !\(value).isEmpty {") { writer in
                writer.line("\(target) = \(encodeValue(shape, from: value))")
            }
        case .singular(let shape):
            writer.line("\(target) = \(encodeValue(shape, from: value))")
        case .repeated(let shape):
            writer.block("if !\(value).isEmpty {") { writer in
                writer.line("c.pointee.\(field.cCountMember) = \(value).count")
                switch shape {
                case .number:
                    writer.line("\(target) = arena.copy(\(value))")
                case .message(let info):
                    writer.line("\(target) = arena.map(\(value)) { element in")
                    writer.indented { writer in
                        writer.line("arena.message(\(info.cPrefix)__init) { element.write(to: $0, arena: arena) }")
                    }
                    writer.line("}")
                default:
                    writer.line("\(target) = arena.map(\(value)) { \(encodeValue(shape, from: "$0")) }")
                }
            }
        case .map(let key, let mapValue, let entry):
            writer.block("if !\(value).isEmpty {") { writer in
                writer.line("c.pointee.\(field.cCountMember) = \(value).count")
                writer.block("\(target) = arena.map(ProtobufCRuntime.sortedEntries(\(value))) { entry in") { writer in
                    writer.block("arena.message(\(entry.cPrefix)__init) { target in") { writer in
                        writer.line("target.pointee.key = \(encodeValue(key, from: "entry.key"))")
                        writer.line("target.pointee.value = \(encodeValue(mapValue, from: "entry.value"))")
                    }
                }
            }
        }
    }

    /// The C value for one Swift value. Strings always get arena storage, even empty ones: protobuf-c
    /// skips a oneof string whose pointer is the default, even when its case is set.
    static func encodeValue(_ shape: ValueShape, from source: String) -> String {
        switch shape {
        case .number:
            return source
        case .bool:
            return "\(source) ? 1 : 0"
        case .string:
            return "arena.cString(\(source))"
        case .bytes:
            return "arena.binaryData(\(source))"
        case .enumeration:
            return ".init(rawValue: .init(truncatingIfNeeded: \(source).rawValue))"
        case .message(let info):
            return "arena.message(\(info.cPrefix)__init) { \(source).write(to: $0, arena: arena) }"
        }
    }
}
