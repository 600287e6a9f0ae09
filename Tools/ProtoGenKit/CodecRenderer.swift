// Renders the internal half of a message: copying a C struct protobuf-c unpacked into the Swift
// value (checking every string), and filling a C struct from the Swift value with allocations
// from the call's arena. One statement per field; the per-kind spellings live in FieldCodec.

/// Emits the protobuf-c conversion extension of one message.
struct CodecRenderer {
    let plan: MessagePlan

    func render(into writer: inout CodeWriter) {
        let info = plan.info
        writer.line("// MARK: protobuf-c conversion of \(plan.protoName)")
        writer.line()
        writer.block("extension \(info.swiftName) {") { writer in
            writer.line("/// Copies a message protobuf-c unpacked (in `arena`) into Swift values.")
            writer.block("init(cMessage c: UnsafePointer<\(info.cType)>, arena: ProtobufCArena) throws {") { writer in
                writer.line("self.init()")
                for member in plan.members { renderDecode(member, into: &writer) }
            }
            writer.line()
            writer.line("/// Fills `c` (already set up by `__init`) with this value; allocations come from `arena`.")
            writer.block("func write(to c: UnsafeMutablePointer<\(info.cType)>, arena: ProtobufCArena) {") { writer in
                for member in plan.members { renderEncode(member, into: &writer) }
            }
        }
    }

    // MARK: C → Swift

    private func renderDecode(_ member: MemberPlan, into writer: inout CodeWriter) {
        switch member {
        case .field(let field):
            writer.line("self.\(field.swiftName) = \(FieldCodec.decode(field))")
        case .oneof(let oneof):
            writer.line("switch c.pointee.\(oneof.cCaseMember).rawValue {")
            for field in oneof.members {
                guard case .singular(let shape) = field.storage else { continue }
                let value = FieldCodec.decodeValue(shape, from: "c.pointee.\(field.cMember)",
                                                   field: field.decl.name, required: true)
                writer.line("case \(field.decl.number):")
                writer.indented { $0.line("self.\(oneof.swiftName) = .\(field.swiftName)(\(value))") }
            }
            writer.line("default:")
            writer.indented { $0.line("break") }
            writer.line("}")
        }
    }

    // MARK: Swift → C

    private func renderEncode(_ member: MemberPlan, into writer: inout CodeWriter) {
        switch member {
        case .field(let field):
            FieldCodec.encode(field, into: &writer)
        case .oneof(let oneof):
            writer.line("switch self.\(oneof.swiftName) {")
            for field in oneof.members {
                guard case .singular(let shape) = field.storage else { continue }
                writer.line("case .\(field.swiftName)(let value)?:")
                writer.indented { writer in
                    writer.line("c.pointee.\(oneof.cCaseMember) = .init(rawValue: \(field.decl.number))")
                    writer.line("c.pointee.\(field.cMember) = \(FieldCodec.encodeValue(shape, from: "value"))")
                }
            }
            writer.line("case nil:")
            writer.indented { $0.line("break") }
            writer.line("}")
        }
    }
}
