// Token discovery, login, dev-token persistence and metadata blobs on a real SoftHSM2 token.

import Foundation
import PKCS11
import Testing

@Suite("Tokens, login and data objects")
struct TokenTests {
    @Test("a token is found again by label and by URI, and a second open reuses it")
    func discovery() throws {
        let token = try TestHSM.token("discover")
        let again = try TestHSM.token("discover")
        #expect(token == again)
        let viaURI = try token.module.token(matching: PKCS11URI("pkcs11:token=discover;manufacturer=SoftHSM%20project"))
        #expect(viaURI.slot == token.slot)
        #expect(throws: PKCS11Error.self) { _ = try token.module.token(label: "no-such-token") }
        #expect(token.module.isLoggedIn(slot: token.slot))
        let pinFile = TestHSM.folder + "/user.pin"
        let attributes = try FileManager.default.attributesOfItem(atPath: pinFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("a wrong PIN fails as CKR_PIN_INCORRECT from C_Login; PINs come from env or file")
    func wrongPIN() throws {
        let token = try DevToken.open(folder: TestHSM.folder, label: "wrongpin", login: false)
        let error = #expect(throws: PKCS11Error.self) { try token.login(pin: PIN("000000")) }
        #expect(error?.returnValueName == "CKR_PIN_INCORRECT" && error?.function == "C_Login")
        #expect(!token.module.isLoggedIn(slot: token.slot))
        let env = "PERSONAHSM_TEST_PIN_\(getpid())"
        let right = try DevToken.userPIN(folder: TestHSM.folder)
        setenv(env, String(decoding: right.bytes, as: UTF8.self), 1)
        try token.login(pin: PIN.fromEnvironment(env))
        #expect(token.module.isLoggedIn(slot: token.slot))
        #expect(throws: PKCS11Error.self) { _ = try PIN.fromEnvironment("PERSONAHSM_UNSET_\(getpid())") }
        #expect(throws: PKCS11Error.self) { _ = try PIN.fromFile("/nonexistent/pin") }
    }

    @Test("metadata blobs are stored, replaced, listed and deleted as CKO_DATA objects")
    func dataObjects() throws {
        let token = try TestHSM.token("metadata")
        let session = try token.openSession()
        let app = "personahsm/keys/\(UInt32.random(in: 0...UInt32.max))"
        try session.storeData(Array("v1".utf8), application: app, label: "did-signing")
        try session.storeData(Array("v2".utf8), application: app, label: "did-signing")
        try session.storeData([0, 1, 2], application: app, label: "audit")
        let other = try token.openSession()
        #expect(try other.readData(application: app, label: "did-signing") == Array("v2".utf8))
        #expect(try other.dataLabels(application: app) == ["audit", "did-signing"])
        #expect(try other.deleteData(application: app, label: "audit"))
        #expect(try other.readData(application: app, label: "audit") == nil)
        #expect(try !other.deleteData(application: app, label: "audit"))
    }
}
