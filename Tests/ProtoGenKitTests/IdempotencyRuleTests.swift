// The rule that marks generated method descriptors idempotent, on the real API's method names
// and on the edge cases the rule exists for.

import ProtoGenKit
import Testing

@Suite("Which methods are idempotent")
struct IdempotencyRuleTests {
    private func idempotent(_ name: String, declared: Bool = false) -> Bool {
        IdempotencyRule.isIdempotent(MethodDecl(name: name, inputType: "a.M", outputType: "a.M",
                                                declaredIdempotent: declared))
    }

    @Test("read and verify verbs as whole words", arguments: ["GetKey", "ListKeys", "GetPublicKey", "Verify",
                                                               "VerifyBatch", "Check", "Watch", "ListPending", "Get"])
    func readVerbs(_ name: String) { #expect(idempotent(name)) }

    @Test("writes, and verbs that are only a prefix of a longer word",
          arguments: ["Sign", "SignBatch", "SignStream", "CreateKey", "RotateKey", "CheckpointAudit", "Getaway",
                      "Listen", "Verifying", "Watchdog", "Backup", "Approve", "ImportKey"])
    func writes(_ name: String) { #expect(!idempotent(name)) }

    @Test("an explicit idempotency_level option wins")
    func declared() { #expect(idempotent("Describe", declared: true)) }
}
