// Every error path of the API is asserted by its exact status code (and, where the contract
// names one, its reason). This runs a call that must fail and hands back the RPCError it failed
// with, recording a test issue when it succeeded or failed otherwise.

import RPCCore
import Testing

/// Runs `body`, expecting it to throw an ``RPCError`` with `code`.
/// - Returns: the error, for further checks on its message and details.
@discardableResult
func expectStatus<T>(_ code: StatusCode, reason: String? = nil, _ comment: Comment? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> T) async -> RPCError? {
    do {
        let value = try await body()
        Issue.record("expected \(code), the call succeeded with \(value). \(comment?.rawValue ?? "")",
                     sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        #expect(error.code == code, "\(comment?.rawValue ?? "") got \(error)", sourceLocation: sourceLocation)
        if let reason {
            #expect(error.details?.reason == reason, "\(comment?.rawValue ?? "") details \(String(describing: error.details))",
                    sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
