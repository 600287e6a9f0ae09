// The resolved shape of a service: per method its Swift name, request/response types, call
// shape, stable wire id (computed by RPCCore, the same function the server routes with) and
// whether it is safe to retry.

import RPCCore

/// One RPC as the renderers need it.
struct MethodPlan {
    let decl: MethodDecl
    let swiftName: String
    let input: MessageInfo
    let output: MessageInfo
    let kind: MethodKind
    let isIdempotent: Bool
    let id: UInt32
    let fullName: String

    /// `unary`, `serverStreaming`, ... as written in generated code.
    var kindName: String {
        switch kind {
        case .unary: "unary"
        case .serverStreaming: "serverStreaming"
        case .clientStreaming: "clientStreaming"
        case .bidiStreaming: "bidiStreaming"
        }
    }
}

/// One service and the names of the types generated for it.
struct ServicePlan {
    let decl: ServiceDecl
    let methods: [MethodPlan]

    var descriptorsName: String { decl.name + "Descriptors" }
    var clientProtocolName: String { decl.name + "ClientProtocol" }
    var clientName: String { decl.name + "Client" }
    var handlerName: String { decl.name + "Handler" }

    /// The Swift type names this service adds to the module.
    var generatedTypeNames: [String] { [descriptorsName, clientProtocolName, clientName, handlerName] }
}

extension TypeCatalog {
    /// The plan of one service.
    /// - Throws: ``GeneratorError`` for unresolved types or two methods with one Swift name.
    func plan(_ service: ServiceDecl) throws -> ServicePlan {
        var seen: [String: String] = [:]
        let methods = try service.methods.map { method -> MethodPlan in
            let user = "method \(service.fullName).\(method.name)"
            let swiftName = SwiftNaming.escaped(SwiftNaming.methodName(method.name))
            if let other = seen[swiftName] {
                throw GeneratorError(.nameCollision, "in \(service.fullName), methods \(other) and \(method.name) "
                                         + "both become Swift method `\(swiftName)`")
            }
            seen[swiftName] = method.name
            let kind: MethodKind = switch (method.clientStreaming, method.serverStreaming) {
            case (false, false): .unary
            case (false, true): .serverStreaming
            case (true, false): .clientStreaming
            case (true, true): .bidiStreaming
            }
            let fullName = "/\(service.fullName)/\(method.name)"
            return MethodPlan(decl: method, swiftName: swiftName,
                              input: try message(method.inputType, referencedBy: user),
                              output: try message(method.outputType, referencedBy: user),
                              kind: kind, isIdempotent: IdempotencyRule.isIdempotent(method),
                              id: MethodDescriptor.stableID(fullName: fullName), fullName: fullName)
        }
        return ServicePlan(decl: service, methods: methods)
    }
}
