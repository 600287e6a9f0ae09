// Renders what clients see of a service: method descriptors with stable wire ids, a client
// protocol (so callers can substitute fakes) and a client struct over any ClientTransport.
// Unary calls return the response; server-streaming calls return the decoded response
// sequence; client- and bidi-streaming calls return a typed StreamingCall.

/// Emits descriptors and client stubs of one service.
struct ServiceRenderer {
    let plan: ServicePlan

    var serviceName: String { plan.decl.fullName }

    func render(into writer: inout CodeWriter) {
        writer.line("// MARK: - \(serviceName)")
        writer.line()
        renderDescriptors(into: &writer)
        writer.line()
        renderClientProtocol(into: &writer)
        writer.line()
        renderClient(into: &writer)
        writer.line()
        HandlerRenderer(plan: plan).render(into: &writer)
    }

    private func renderDescriptors(into writer: inout CodeWriter) {
        writer.doc("Method descriptors of `\(serviceName)`.")
        if let comment = plan.decl.comment { writer.line("///"); writer.doc(comment) }
        writer.line("///")
        writer.doc(CodeWriter.wrapped(IdempotencyRule.summary, width: 96))
        writer.block("public enum \(plan.descriptorsName) {") { writer in
            writer.line("/// The fully qualified service name.")
            writer.line("public static let serviceName = \(SwiftNaming.stringLiteral(serviceName))")
            for method in plan.methods {
                writer.line()
                let id = "0x" + String(method.id, radix: 16, uppercase: true)
                writer.line("/// `\(method.fullName)`: \(method.kindName), wire id \(id)"
                            + (method.isIdempotent ? ", idempotent." : "."))
                writer.line("public static let \(method.swiftName) = RPCCore.MethodDescriptor(")
                writer.indented { writer in
                    writer.line("service: serviceName, method: \(SwiftNaming.stringLiteral(method.decl.name)), "
                                + "kind: .\(method.kindName), isIdempotent: \(method.isIdempotent))")
                }
            }
            writer.line()
            writer.line("/// Every method of the service, in declaration order.")
            let all = plan.methods.map(\.swiftName).joined(separator: ", ")
            writer.line("public static let all: [RPCCore.MethodDescriptor] = [\(all)]")
        }
    }

    private func renderClientProtocol(into writer: inout CodeWriter) {
        writer.doc("Client API of `\(serviceName)`; ``\(plan.clientName)`` implements it over a transport.")
        writer.block("public protocol \(plan.clientProtocolName): Sendable {") { writer in
            for (index, method) in plan.methods.enumerated() {
                if index > 0 { writer.line() }
                writer.doc(method.decl.comment ?? "Calls `\(method.fullName)`.")
                writer.line(signature(method, withOptions: true))
            }
        }
        writer.line()
        writer.block("extension \(plan.clientProtocolName) {") { writer in
            for (index, method) in plan.methods.enumerated() {
                if index > 0 { writer.line() }
                writer.line("/// Calls `\(method.fullName)` with default call options.")
                writer.block("public " + signature(method, withOptions: false) + " {") { writer in
                    let argument = method.decl.clientStreaming ? "options: RPCCore.CallOptions()"
                        : "request, options: RPCCore.CallOptions()"
                    writer.line("try await \(method.swiftName)(\(argument))")
                }
            }
        }
    }

    private func renderClient(into writer: inout CodeWriter) {
        writer.doc("Calls `\(serviceName)` through any ``RPCCore/ClientTransport``.")
        writer.block("public struct \(plan.clientName): \(plan.clientProtocolName) {") { writer in
            writer.line("public let transport: any RPCCore.ClientTransport")
            writer.line()
            writer.line("public init(transport: any RPCCore.ClientTransport) { self.transport = transport }")
            for method in plan.methods {
                writer.line()
                writer.doc(method.decl.comment ?? "Calls `\(method.fullName)`.")
                writer.block("public " + signature(method, withOptions: true) + " {") { writer in
                    let descriptor = "\(plan.descriptorsName).\(method.swiftName)"
                    let output = method.output.swiftName
                    switch method.kind {
                    case .unary:
                        writer.line("let response = try await transport.unary(")
                        writer.indented { $0.line("\(descriptor), request: request.serializedBytes(), options: options)") }
                        writer.line("return try ProtobufCRuntime.decodeResponse(\(output).self, response)")
                    case .serverStreaming:
                        writer.line("try await ProtobufCRuntime.serverStreaming(")
                        writer.indented { $0.line("transport, \(descriptor), request, options: options, response: \(output).self)") }
                    case .clientStreaming, .bidiStreaming:
                        writer.line("RPCCore.StreamingCall(raw: try await transport.openStream(\(descriptor), options: options))")
                    }
                }
            }
        }
    }

    /// The client-side declaration of a method (without `public`).
    private func signature(_ method: MethodPlan, withOptions: Bool) -> String {
        let input = method.input.swiftName
        let output = method.output.swiftName
        var parameters: [String] = []
        if !method.decl.clientStreaming { parameters.append("_ request: \(input)") }
        if withOptions { parameters.append("options: RPCCore.CallOptions") }
        let result: String = switch method.kind {
        case .unary: output
        case .serverStreaming: "AsyncThrowingMapSequence<AsyncThrowingStream<[UInt8], any Error>, \(output)>"
        case .clientStreaming, .bidiStreaming: "RPCCore.StreamingCall<\(input), \(output)>"
        }
        return "func \(method.swiftName)(\(parameters.joined(separator: ", "))) async throws -> \(result)"
    }
}
