// Reads a FileDescriptorSet (from `protoc-c --descriptor_set_out --include_source_info`) into the
// Swift schema model. protoc-c runs no plugins, so a descriptor set is how our generator gets
// the schema; libprotobuf-c decodes it with the descriptor.proto codec in CProtoDescriptor.

internal import CProtoDescriptor
internal import CProtobufC

/// Turns descriptor-set bytes into a ``Schema``.
public enum SchemaLoader {
    /// Decodes a serialized `google.protobuf.FileDescriptorSet`.
    /// - Throws: ``GeneratorError`` `.unreadableSchema` when the bytes are not a descriptor set.
    public static func load(descriptorSet bytes: [UInt8]) throws -> Schema {
        let unpacked = try UnpackedDescriptorSet(bytes)
        let set = unpacked.pointer.pointee
        var files: [ProtoFile] = []
        for index in 0..<set.n_file {
            guard let file = set.file[index] else { continue }
            files.append(readFile(file.pointee))
        }
        return Schema(files: files)
    }

    private static func readFile(_ file: Google__Protobuf__FileDescriptorProto) -> ProtoFile {
        let comments = SourceComments(file.source_code_info)
        let package = text(file.package)
        var result = ProtoFile(name: text(file.name), package: package,
                               syntax: file.syntax == nil ? "proto2" : text(file.syntax),
                               comment: comments.comment(at: [12]))
        result.dependencies = (0..<file.n_dependency).map { text(file.dependency[$0]) }
        for index in 0..<file.n_message_type {
            guard let message = file.message_type[index] else { continue }
            result.messages.append(readMessage(message.pointee, scope: package, path: [4, Int32(index)],
                                               comments: comments))
        }
        for index in 0..<file.n_enum_type {
            guard let decl = file.enum_type[index] else { continue }
            result.enums.append(readEnum(decl.pointee, scope: package, path: [5, Int32(index)],
                                         comments: comments))
        }
        for index in 0..<file.n_service {
            guard let service = file.service[index] else { continue }
            result.services.append(readService(service.pointee, scope: package, path: [6, Int32(index)],
                                               comments: comments))
        }
        return result
    }

    private static func readMessage(_ message: Google__Protobuf__DescriptorProto, scope: String, path: [Int32],
                                    comments: SourceComments) -> MessageDecl {
        let name = text(message.name)
        let fullName = qualified(scope, name)
        var result = MessageDecl(name: name, fullName: fullName,
                                 isMapEntry: message.options.map {
                                     $0.pointee.has_map_entry != 0 && $0.pointee.map_entry != 0 } ?? false,
                                 comment: comments.comment(at: path))
        for index in 0..<message.n_field {
            guard let field = message.field[index] else { continue }
            result.fields.append(readField(field.pointee, path: path + [2, Int32(index)], comments: comments))
        }
        for index in 0..<message.n_oneof_decl {
            guard let oneof = message.oneof_decl[index] else { continue }
            result.oneofs.append(OneofDecl(name: text(oneof.pointee.name),
                                           comment: comments.comment(at: path + [8, Int32(index)])))
        }
        for index in 0..<message.n_nested_type {
            guard let nested = message.nested_type[index] else { continue }
            result.messages.append(readMessage(nested.pointee, scope: fullName, path: path + [3, Int32(index)],
                                               comments: comments))
        }
        for index in 0..<message.n_enum_type {
            guard let nested = message.enum_type[index] else { continue }
            result.enums.append(readEnum(nested.pointee, scope: fullName, path: path + [4, Int32(index)],
                                         comments: comments))
        }
        return result
    }

    private static func readField(_ field: Google__Protobuf__FieldDescriptorProto, path: [Int32],
                                  comments: SourceComments) -> FieldDecl {
        let typeName = String(text(field.type_name).drop { $0 == "." })
        let type: FieldType
        switch field.type.rawValue {
        case 1: type = .double
        case 2: type = .float
        case 3: type = .int64
        case 4: type = .uint64
        case 5: type = .int32
        case 6: type = .fixed64
        case 7: type = .fixed32
        case 8: type = .bool
        case 9: type = .string
        case 10: type = .group(typeName)
        case 11: type = .message(typeName)
        case 12: type = .bytes
        case 13: type = .uint32
        case 14: type = .enumeration(typeName)
        case 15: type = .sfixed32
        case 16: type = .sfixed64
        case 17: type = .sint32
        default: type = .sint64
        }
        return FieldDecl(name: text(field.name), number: field.number,
                         label: field.label.rawValue == 3 ? .repeated : .singular, type: type,
                         oneofIndex: field.has_oneof_index != 0 ? Int(field.oneof_index) : nil,
                         isProto3Optional: field.has_proto3_optional != 0 && field.proto3_optional != 0,
                         comment: comments.comment(at: path))
    }

    private static func readEnum(_ decl: Google__Protobuf__EnumDescriptorProto, scope: String, path: [Int32],
                                 comments: SourceComments) -> EnumDecl {
        let name = text(decl.name)
        let values = (0..<decl.n_value).compactMap { index -> EnumValueDecl? in
            guard let value = decl.value[index] else { return nil }
            return EnumValueDecl(name: text(value.pointee.name), number: value.pointee.number,
                                 comment: comments.comment(at: path + [2, Int32(index)]))
        }
        return EnumDecl(name: name, fullName: qualified(scope, name), values: values,
                        comment: comments.comment(at: path))
    }

    private static func readService(_ service: Google__Protobuf__ServiceDescriptorProto, scope: String,
                                    path: [Int32], comments: SourceComments) -> ServiceDecl {
        let name = text(service.name)
        let methods = (0..<service.n_method).compactMap { index -> MethodDecl? in
            guard let method = service.method[index]?.pointee else { return nil }
            // IDEMPOTENCY_UNKNOWN = 0, NO_SIDE_EFFECTS = 1, IDEMPOTENT = 2.
            let level = method.options.map { $0.pointee.has_idempotency_level != 0
                ? $0.pointee.idempotency_level.rawValue : 0 } ?? 0
            return MethodDecl(name: text(method.name),
                              inputType: String(text(method.input_type).drop { $0 == "." }),
                              outputType: String(text(method.output_type).drop { $0 == "." }),
                              clientStreaming: method.client_streaming != 0,
                              serverStreaming: method.server_streaming != 0,
                              declaredIdempotent: level == 1 || level == 2,
                              comment: comments.comment(at: path + [2, Int32(index)]))
        }
        return ServiceDecl(name: name, fullName: qualified(scope, name), methods: methods,
                           comment: comments.comment(at: path))
    }

    private static func qualified(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : "\(scope).\(name)"
    }

    /// A C string of the descriptor (absent proto2 strings are NULL).
    static func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }
}

/// Owns the C FileDescriptorSet that libprotobuf-c allocated while the loader reads it.
private final class UnpackedDescriptorSet {
    let pointer: UnsafeMutablePointer<Google__Protobuf__FileDescriptorSet>

    init(_ bytes: [UInt8]) throws {
        let unpacked = bytes.withUnsafeBufferPointer { buffer in
            google__protobuf__file_descriptor_set__unpack(nil, buffer.count, buffer.baseAddress)
        }
        guard let unpacked else {
            throw GeneratorError(.unreadableSchema,
                                 "not a serialized google.protobuf.FileDescriptorSet (\(bytes.count) bytes)")
        }
        pointer = unpacked
    }

    deinit { google__protobuf__file_descriptor_set__free_unpacked(pointer, nil) }
}
