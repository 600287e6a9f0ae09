// The generated descriptors of the PersonaHSM API: every method has a unique wire id equal to
// RPCCore's FNV-1a of its full name, the right call shape, and the idempotency the documented
// rule gives it (notably: Sign is not retryable, Verify is, CheckpointAudit is not a "Check").

import PersonaProtos
import RPCCore
import Testing

@Suite("PersonaHSM method descriptors")
struct ServiceDescriptorTests {
    static let all = SigningServiceDescriptors.all + KeyServiceDescriptors.all + CryptoServiceDescriptors.all
        + AdminServiceDescriptors.all + HealthServiceDescriptors.all

    @Test("ids are FNV-1a of the full name and unique across services")
    func ids() {
        #expect(Self.all.count == 26)
        for descriptor in Self.all {
            #expect(descriptor.id == MethodDescriptor.stableID(fullName: "/\(descriptor.service)/\(descriptor.method)"))
            #expect(descriptor.service.hasPrefix("persona.hsm.v1."))
        }
        #expect(Set(Self.all.map(\.id)).count == Self.all.count)
    }

    @Test("idempotency follows the read-verb rule")
    func idempotency() {
        let idempotent = Set(Self.all.filter(\.isIdempotent).map(\.method))
        #expect(idempotent == ["Verify", "VerifyBatch", "GetKey", "ListKeys", "GetPublicKey", "ListPending", "Check",
                               "Watch"])
        #expect(!AdminServiceDescriptors.checkpointAudit.isIdempotent)
        #expect(!SigningServiceDescriptors.sign.isIdempotent)
    }

    @Test("call shapes")
    func kinds() {
        #expect(SigningServiceDescriptors.signStream.kind == .bidiStreaming)
        #expect(HealthServiceDescriptors.watch.kind == .serverStreaming)
        #expect(Self.all.filter { $0.kind != .unary }.map(\.method) == ["SignStream", "Watch"])
    }
}
