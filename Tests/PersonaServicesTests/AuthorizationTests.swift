// RBAC: identities map to roles, roles to methods and key patterns; denials are counted and
// repeated failures raise exactly one alert per window.

import Foundation
import Observability
import RPCCore
import Synchronization
import Testing
@testable import PersonaServices

@Suite struct AuthorizationTests {
    static let policy = AccessPolicy(
        roles: AccessPolicy.standardRoles().merging(
            ["issuer-a": RolePermissions(methods: ["SigningService/Sign*"], keys: ["tenant-a-*"])]) { $1 },
        identities: [
            "spiffe://personahsm/role/admin": ["admin"],
            "spiffe://personahsm/role/issuer": ["issuer"],
            "spiffe://personahsm/tenant/a": ["issuer-a"],
            "spiffe://personahsm/verifier/*": ["verifier"],
        ],
        alertThreshold: 3, alertWindowSeconds: 60)

    static let sign = MethodDescriptor(service: "persona.hsm.v1.SigningService", method: "Sign", kind: .unary,
                                       isIdempotent: false)
    static let verify = MethodDescriptor(service: "persona.hsm.v1.SigningService", method: "Verify", kind: .unary,
                                         isIdempotent: true)
    static let backup = MethodDescriptor(service: "persona.hsm.v1.AdminService", method: "Backup", kind: .unary,
                                         isIdempotent: false)

    final class Tally: Sendable {
        let count = Mutex(0)
    }

    func makeAuthorizer(metrics: MetricsRegistry = MetricsRegistry(), denied: Tally = Tally()) -> Authorizer {
        let monitor = AuthFailureMonitor(threshold: 3, windowSeconds: 60,
                                         logger: JSONLogger(component: "t") { _ in }, metrics: metrics)
        return Authorizer(policy: Self.policy, monitor: monitor) { _, _ in denied.count.withLock { $0 += 1 } }
    }

    func context(_ identity: String, _ method: MethodDescriptor) -> ServerContext {
        ServerContext(method: method, peer: PeerIdentity(name: identity, fingerprintSHA256: "ab"))
    }

    @Test func rolesGateMethods() async throws {
        let authorizer = makeAuthorizer()
        let allowed = try await authorizer.callStarting(context("spiffe://personahsm/role/issuer", Self.sign))
        #expect(allowed.attributes[Authorizer.rolesAttribute] == "issuer")
        _ = try await authorizer.callStarting(context("spiffe://personahsm/verifier/eu-1", Self.verify))
        let verifierSigns = try? await authorizer.callStarting(context("spiffe://personahsm/verifier/eu-1", Self.sign))
        #expect(verifierSigns == nil)
        do {
            _ = try await authorizer.callStarting(context("spiffe://personahsm/role/issuer", Self.backup))
            Issue.record("issuer must not back up")
        } catch let error as RPCError {
            #expect(error.code == .permissionDenied)
            #expect(error.message.contains("AdminService/Backup"))
        }
        _ = try await authorizer.callStarting(context("spiffe://personahsm/role/admin", Self.backup))
    }

    @Test func unknownAndAnonymousIdentities() async {
        let authorizer = makeAuthorizer()
        do {
            _ = try await authorizer.callStarting(context("", Self.verify))
            Issue.record("anonymous must fail")
        } catch let error as RPCError { #expect(error.code == .unauthenticated) } catch { Issue.record("\(error)") }
        do {
            _ = try await authorizer.callStarting(context("spiffe://other/x", Self.verify))
            Issue.record("unknown identity must fail")
        } catch let error as RPCError { #expect(error.code == .permissionDenied) } catch { Issue.record("\(error)") }
    }

    @Test func keyPatternsRestrictKeys() async throws {
        let authorizer = makeAuthorizer()
        let tenant = try await authorizer.callStarting(context("spiffe://personahsm/tenant/a", Self.sign))
        try authorizer.authorizeKey(tenant, keyName: "tenant-a-issuer")
        #expect(throws: RPCError.self) { try authorizer.authorizeKey(tenant, keyName: "tenant-b-issuer") }
    }

    @Test func rememberedDecisionsFollowAReplacedPolicy() async throws {
        let authorizer = makeAuthorizer()
        let tenant = try await authorizer.callStarting(context("spiffe://personahsm/tenant/a", Self.sign))
        try authorizer.authorizeKey(tenant, keyName: "tenant-a-issuer")
        // Same question again under a policy that no longer grants it: the old answer is gone.
        var narrowed = Self.policy
        narrowed.roles["issuer-a"] = RolePermissions(methods: ["SigningService/Sign*"], keys: ["tenant-a-other"])
        authorizer.replacePolicy(narrowed)
        #expect(throws: RPCError.self) { try authorizer.authorizeKey(tenant, keyName: "tenant-a-issuer") }
        narrowed.identities["spiffe://personahsm/tenant/a"] = nil
        authorizer.replacePolicy(narrowed)
        await #expect(throws: RPCError.self) {
            _ = try await authorizer.callStarting(context("spiffe://personahsm/tenant/a", Self.sign))
        }
    }

    @Test func decisionsStayRightPastTheMemoCapacity() async throws {
        let authorizer = makeAuthorizer()
        let tenant = try await authorizer.callStarting(context("spiffe://personahsm/tenant/a", Self.sign))
        for index in 0..<(AuthorizationDecisions.capacity + 10) {
            try authorizer.authorizeKey(tenant, keyName: "tenant-a-\(index)")
            #expect(throws: RPCError.self) { try authorizer.authorizeKey(tenant, keyName: "tenant-b-\(index)") }
        }
        try authorizer.authorizeKey(tenant, keyName: "tenant-a-0")
    }

    @Test func repeatedFailuresRaiseOneAlertPerWindow() async {
        let metrics = MetricsRegistry()
        let denied = Tally()
        let authorizer = makeAuthorizer(metrics: metrics, denied: denied)
        for _ in 0..<7 { _ = try? await authorizer.callStarting(context("spiffe://other/x", Self.sign)) }
        #expect(denied.count.withLock { $0 } == 7)
        let text = metrics.render()
        #expect(text.contains("personahsm_auth_failures_total{reason=\"PERMISSION_DENIED\"} 7"))
        #expect(text.contains("personahsm_auth_failure_alerts_total 1"))
    }

    @Test func policyFileRoundTripAndValidation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.json")
        try JSONEncoder().encode(Self.policy).write(to: good)
        #expect(try AccessPolicy.load(path: good.path) == Self.policy)
        let bad = dir.appendingPathComponent("bad.json")
        try Data(#"{"roles":{},"identities":{"x":["ghost"]}}"#.utf8).write(to: bad)
        #expect(throws: PolicyError.self) { try AccessPolicy.load(path: bad.path) }
    }

    @Test(arguments: [("*", "anything", true), ("Sign*", "SignBatch", true), ("Sign*", "Verify", false),
                      ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("", "", true), ("x", "", false)])
    func globMatching(pattern: String, text: String, expected: Bool) {
        #expect(Glob.matches(pattern, text) == expected)
    }
}
