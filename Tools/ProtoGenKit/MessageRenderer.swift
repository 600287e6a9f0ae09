// Renders the public Swift side of a message: a Hashable, Sendable value type with native
// fields, its nested types (messages, enums, one Swift enum per oneof), a memberwise initializer
// with proto3 defaults, and the WireMessage entry points that delegate to protobuf-c.

/// Emits the declaration of one message type (with its nested types).
struct MessageRenderer {
    let plan: MessagePlan
    let catalog: TypeCatalog

    func renderDeclaration(into writer: inout CodeWriter) throws {
        let name = plan.info.decl.name
        writer.doc(plan.info.decl.comment ?? "The proto message `\(plan.protoName)`.")
        try writer.blockThrowing("public struct \(name): Hashable, Sendable, RPCCore.WireMessage {") { writer in
            for nested in plan.nestedEnums {
                EnumRenderer(info: nested).render(into: &writer)
                writer.line()
            }
            for nested in plan.nestedMessages {
                try MessageRenderer(plan: catalog.plan(nested), catalog: catalog).renderDeclaration(into: &writer)
                writer.line()
            }
            for case .oneof(let oneof) in plan.members {
                renderOneofType(oneof, into: &writer)
                writer.line()
            }
            renderProperties(into: &writer)
            renderMemberwiseInit(into: &writer)
            writer.line()
            renderWireMessage(into: &writer)
        }
    }

    private func renderOneofType(_ oneof: OneofPlan, into writer: inout CodeWriter) {
        writer.doc(oneof.decl.comment ?? "The fields of oneof `\(oneof.decl.name)`; at most one is set.")
        writer.block("public enum \(oneof.typeName): Hashable, Sendable {") { writer in
            for (index, member) in oneof.members.enumerated() {
                if index > 0 { writer.line() }
                writer.doc(member.decl.comment ?? "Field `\(member.decl.name)` = \(member.decl.number).")
                writer.line("case \(member.swiftName)(\(Self.caseType(member)))")
            }
        }
    }

    private func renderProperties(into writer: inout CodeWriter) {
        for member in plan.members {
            switch member {
            case .field(let field):
                writer.doc(field.decl.comment ?? "Field `\(field.decl.name)` = \(field.decl.number).")
            case .oneof(let oneof):
                writer.doc(oneof.decl.comment.map { $0 + "\n" }.map { $0 + "Nil when none of its fields is set." }
                    ?? "Oneof `\(oneof.decl.name)`: nil when none of its fields is set.")
            }
            writer.line("public var \(member.swiftName): \(member.swiftType)")
            writer.line()
        }
    }

    private func renderMemberwiseInit(into writer: inout CodeWriter) {
        writer.line("/// Creates a message; omitted fields keep their proto3 defaults.")
        guard !plan.members.isEmpty else {
            writer.line("public init() {}")
            return
        }
        writer.line("public init(")
        writer.indented { writer in
            for (index, member) in plan.members.enumerated() {
                let comma = index == plan.members.count - 1 ? "" : ","
                writer.line("\(member.swiftName): \(member.swiftType) = \(member.defaultValue)\(comma)")
            }
        }
        writer.block(") {") { writer in
            for member in plan.members { writer.line("self.\(member.swiftName) = \(member.swiftName)") }
        }
    }

    private func renderWireMessage(into writer: inout CodeWriter) {
        let info = plan.info
        let unpack = info.isTopLevel
            ? "\(info.cPrefix)__unpack"
            : "{ ProtobufCRuntime.unpackNested(\(info.cPrefix)__init, $0, $1, $2) }"
        let packedSize = info.isTopLevel ? "\(info.cPrefix)__get_packed_size" : "ProtobufCRuntime.packedSizeNested"
        let pack = info.isTopLevel ? "\(info.cPrefix)__pack" : "ProtobufCRuntime.packNested"
        writer.lines("""
            /// Decodes protobuf wire bytes with protobuf-c.
            /// - Throws: `MessageDecodingError` when the bytes are not a valid encoding, exceed the size
            ///   limit or decoding budget, or hold a string that is not UTF-8 or contains U+0000.
            """)
        writer.block("public init(serializedBytes: [UInt8]) throws {") { writer in
            writer.line("self = try ProtobufCRuntime.decode(")
            writer.indented { writer in
                writer.line("serializedBytes, messageName: \(SwiftNaming.stringLiteral(plan.protoName)),")
                writer.line("unpack: \(unpack), copy: { try Self(cMessage: $0, arena: $1) })")
            }
        }
        writer.line()
        writer.line("/// Encodes to protobuf wire bytes with protobuf-c; equal values give equal bytes.")
        writer.block("public func serializedBytes() -> [UInt8] {") { writer in
            writer.line("ProtobufCRuntime.encode(")
            writer.indented { writer in
                writer.line("self, initialize: \(info.cPrefix)__init,")
                writer.line("packedSize: \(packedSize),")
                writer.line("pack: \(pack), write: { $0.write(to: $1, arena: $2) })")
            }
        }
    }

    /// The associated value type of a oneof case.
    static func caseType(_ member: FieldPlan) -> String {
        switch member.storage {
        case .singular(let shape): shape.swiftType
        case .repeated, .map: member.swiftType
        }
    }
}

extension CodeWriter {
    /// `block` for bodies that can throw.
    mutating func blockThrowing(_ opener: String, closer: String = "}",
                                _ body: (inout CodeWriter) throws -> Void) throws {
        line(opener)
        var failure: (any Error)?
        indented { writer in
            do { try body(&writer) } catch { failure = error }
        }
        if let failure { throw failure }
        line(closer)
    }
}
