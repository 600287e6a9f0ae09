// Renders what servers implement for a service: a handler protocol with one typed requirement
// per method, and an extension that turns it into the bytes-level ServerMethods a server
// registers. Malformed requests become INVALID_ARGUMENT before the handler runs.

/// Emits the server handler protocol of one service.
struct HandlerRenderer {
    let plan: ServicePlan

    private var requestStream: String { "AsyncThrowingMapSequence<RPCCore.RawRequestStream, " }

    func render(into writer: inout CodeWriter) {
        let serviceName = plan.decl.fullName
        writer.doc("Server API of `\(serviceName)`: implement the methods, then register `serverMethods`.")
        writer.block("public protocol \(plan.handlerName): RPCCore.RegistrableService {") { writer in
            for (index, method) in plan.methods.enumerated() {
                if index > 0 { writer.line() }
                writer.doc(method.decl.comment ?? "Handles `\(method.fullName)`.")
                writer.line(requirement(method))
            }
        }
        writer.line()
        writer.block("extension \(plan.handlerName) {") { writer in
            writer.line("/// The methods of `\(serviceName)`, decoding requests and encoding responses.")
            writer.block("public var serverMethods: [RPCCore.ServerMethod] {") { writer in
                writer.line("[")
                writer.indented { writer in
                    for method in plan.methods { renderServerMethod(method, into: &writer) }
                }
                writer.line("]")
            }
        }
    }

    private func requirement(_ method: MethodPlan) -> String {
        let input = method.input.swiftName
        let output = method.output.swiftName
        let writer = "writer: RPCCore.ResponseWriter<\(output)>"
        let context = "context: RPCCore.ServerContext"
        let requests = "_ requests: \(requestStream)\(input)>"
        return switch method.kind {
        case .unary: "func \(method.swiftName)(_ request: \(input), \(context)) async throws -> \(output)"
        case .serverStreaming: "func \(method.swiftName)(_ request: \(input), \(writer), \(context)) async throws"
        case .clientStreaming: "func \(method.swiftName)(\(requests), \(context)) async throws -> \(output)"
        case .bidiStreaming: "func \(method.swiftName)(\(requests), \(writer), \(context)) async throws"
        }
    }

    private func renderServerMethod(_ method: MethodPlan, into writer: inout CodeWriter) {
        let descriptor = "\(plan.descriptorsName).\(method.swiftName)"
        let input = method.input.swiftName
        switch method.kind {
        case .unary:
            writer.line("RPCCore.ServerMethod(descriptor: \(descriptor), handler: .unary { bytes, context in")
            writer.indented { writer in
                writer.line("let request = try ProtobufCRuntime.decodeRequest(\(input).self, bytes)")
                writer.line("return try await self.\(method.swiftName)(request, context: context).serializedBytes()")
            }
        case .serverStreaming:
            writer.line("RPCCore.ServerMethod(descriptor: \(descriptor), handler: .streaming { requests, writer, context in")
            writer.indented { writer in
                writer.line("let request = try await ProtobufCRuntime.singleRequest(requests, as: \(input).self, "
                            + "method: \(descriptor))")
                writer.line("try await self.\(method.swiftName)(request, writer: RPCCore.ResponseWriter(raw: writer), "
                            + "context: context)")
            }
        case .clientStreaming:
            writer.line("RPCCore.ServerMethod(descriptor: \(descriptor), handler: .streaming { requests, writer, context in")
            writer.indented { writer in
                writer.line("let response = try await self.\(method.swiftName)(requests.decoded(as: \(input).self), "
                            + "context: context)")
                writer.line("try await writer.write(response.serializedBytes())")
            }
        case .bidiStreaming:
            writer.line("RPCCore.ServerMethod(descriptor: \(descriptor), handler: .streaming { requests, writer, context in")
            writer.indented { writer in
                writer.line("try await self.\(method.swiftName)(")
                writer.indented { writer in
                    writer.line("requests.decoded(as: \(input).self), writer: RPCCore.ResponseWriter(raw: writer), "
                                + "context: context)")
                }
            }
        }
        writer.line("}),")
    }
}
