// Resolves a message of the schema into a MessagePlan: field kinds, Swift names, C members,
// oneofs grouped at the position of their first member, map fields recognized by their entry
// type. Conflicts inside one message (two fields with one Swift name, a oneof enum named like a
// nested type) stop generation here with the message and field named.

extension TypeCatalog {
    /// The plan of one message.
    /// - Throws: ``GeneratorError`` for unsupported fields, unresolved types or name conflicts.
    func plan(_ info: MessageInfo) throws -> MessagePlan {
        let decl = info.decl
        var members: [MemberPlan] = []
        var emittedOneofs: Set<Int> = []
        for field in decl.fields {
            let user = "field \(decl.fullName).\(field.name)"
            if field.isProto3Optional {
                throw GeneratorError(.unsupportedFeature,
                                     "\(user) uses proto3 `optional`, which protoc-c 1.4 cannot generate; "
                                         + "use a single-member oneof for presence")
            }
            if let oneofIndex = field.oneofIndex {
                guard decl.oneofs.indices.contains(oneofIndex) else {
                    throw GeneratorError(.unreadableSchema, "\(user) names oneof #\(oneofIndex), which does not exist")
                }
                guard !emittedOneofs.contains(oneofIndex) else { continue }
                emittedOneofs.insert(oneofIndex)
                members.append(.oneof(try planOneof(oneofIndex, of: decl)))
            } else {
                members.append(.field(try planField(field, user: user)))
            }
        }
        let nestedMessages = try decl.messages.filter { !$0.isMapEntry }.map {
            try message($0.fullName, referencedBy: "message \(decl.fullName)")
        }
        let nestedEnums = try decl.enums.map { try enumeration($0.fullName, referencedBy: "message \(decl.fullName)") }
        let plan = MessagePlan(info: info, members: members, nestedMessages: nestedMessages, nestedEnums: nestedEnums)
        try checkNames(of: plan)
        return plan
    }

    private func planOneof(_ index: Int, of decl: MessageDecl) throws -> OneofPlan {
        let oneof = decl.oneofs[index]
        let members = try decl.fields.filter { $0.oneofIndex == index }.map { field in
            try planField(field, user: "field \(decl.fullName).\(field.name)")
        }
        return OneofPlan(decl: oneof, swiftName: Self.propertyName(oneof.name),
                         typeName: SwiftNaming.upperCamel(oneof.name),
                         cCaseMember: CNaming.oneofCaseMember(oneof: oneof.name), members: members)
    }

    private func planField(_ field: FieldDecl, user: String) throws -> FieldPlan {
        let shape = try valueShape(field.type, user: user)
        var storage = FieldStorage.singular(shape)
        if field.label == .repeated {
            storage = .repeated(shape)
            if case .message(let entry) = shape, entry.decl.isMapEntry {
                let key = entry.decl.fields.first { $0.number == 1 }
                let value = entry.decl.fields.first { $0.number == 2 }
                guard let key, let value else {
                    throw GeneratorError(.unreadableSchema, "\(user): map entry \(entry.decl.fullName) lacks key or value")
                }
                storage = .map(key: try valueShape(key.type, user: user), value: try valueShape(value.type, user: user),
                               entry: entry)
            }
        }
        return FieldPlan(decl: field, swiftName: Self.propertyName(field.name),
                         cMember: CNaming.memberName(field: field.name), storage: storage)
    }

    private func valueShape(_ type: FieldType, user: String) throws -> ValueShape {
        switch type {
        case .double: return .number(swiftType: "Double")
        case .float: return .number(swiftType: "Float")
        case .int64, .sint64, .sfixed64: return .number(swiftType: "Int64")
        case .uint64, .fixed64: return .number(swiftType: "UInt64")
        case .int32, .sint32, .sfixed32: return .number(swiftType: "Int32")
        case .uint32, .fixed32: return .number(swiftType: "UInt32")
        case .bool: return .bool
        case .string: return .string
        case .bytes: return .bytes
        case .enumeration(let name): return .enumeration(try enumeration(name, referencedBy: user))
        case .message(let name): return .message(try message(name, referencedBy: user))
        case .group(let name):
            throw GeneratorError(.unsupportedFeature, "\(user) is a proto2 group (\(name)); groups are not supported")
        }
    }

    /// Swift property name for a field or oneof; names that clash with generated members get `_`.
    static func propertyName(_ protoName: String) -> String {
        let camel = SwiftNaming.lowerCamel(protoName)
        let safe = reservedMessageMembers.contains(camel) ? camel + "_" : camel
        return SwiftNaming.escaped(safe)
    }

    private static let reservedMessageMembers: Set<String> = [
        "self", "Type", "Protocol", "init", "serializedBytes", "hashValue", "cMessage", "write",
    ]

    private func checkNames(of plan: MessagePlan) throws {
        let owner = plan.protoName
        var properties: [String: String] = [:]
        for member in plan.members {
            let protoName: String
            switch member {
            case .field(let field): protoName = field.decl.name
            case .oneof(let oneof): protoName = "oneof " + oneof.decl.name
            }
            if let other = properties[member.swiftName] {
                throw GeneratorError(.nameCollision, "in \(owner), \(other) and \(protoName) both become Swift "
                                         + "property `\(member.swiftName)`; rename one")
            }
            properties[member.swiftName] = protoName
        }
        var types: [String: String] = [:]
        let nestedNames = plan.nestedMessages.map { ($0.decl.name, "message " + $0.decl.fullName) }
            + plan.nestedEnums.map { ($0.decl.name, "enum " + $0.decl.fullName) }
            + plan.members.compactMap { member -> (String, String)? in
                guard case .oneof(let oneof) = member else { return nil }
                return (oneof.typeName, "the Swift enum of oneof \(owner).\(oneof.decl.name)")
            }
        for (name, what) in nestedNames {
            if SwiftNaming.reservedTypeNames.contains(name) || SwiftNaming.keywords.contains(name) {
                throw GeneratorError(.nameCollision, "\(what) would be named `\(name)`, which generated code "
                                         + "needs for something else; rename it")
            }
            if let other = types[name] {
                throw GeneratorError(.nameCollision, "in \(owner), \(other) and \(what) both become nested Swift "
                                         + "type `\(name)`; rename one")
            }
            types[name] = what
        }
    }
}
