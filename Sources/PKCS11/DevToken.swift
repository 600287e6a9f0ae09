// The embedded default HSM: a SoftHSM2 token in a project-local folder, created on first run.
// SoftHSM2 reads SOFTHSM2_CONF once, at C_Initialize, so the folder's config must be in the
// environment before the module is loaded; `DevToken.open` sets it and refuses to proceed if the
// module was already initialised with a different config. Tokens are created through the module
// (C_InitToken, then C_InitPIN as SO), never through softhsm2-util, so no PIN appears in argv. The
// user PIN is random and kept in `<folder>/user.pin` (mode 0600).

import CPKCS11
import Foundation
import Synchronization

/// A SoftHSM2 configuration and token folder for development and tests.
public enum DevToken {
    /// Where Debian installs SoftHSM2's module.
    public static let defaultModulePath = "/usr/lib/softhsm/libsofthsm2.so"

    private static let creation = Mutex(())

    /// Writes `<folder>/softhsm2.conf` and `<folder>/tokens/` if missing and points SOFTHSM2_CONF
    /// at the config. Call before the first `PKCS11Module.load` of SoftHSM2 in the process.
    /// - Returns: the config path.
    @discardableResult
    public static func prepare(folder: String) throws(PKCS11Error) -> String {
        let fm = FileManager.default
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let tokens = root + "/tokens"
        let conf = root + "/softhsm2.conf"
        do {
            try fm.createDirectory(atPath: tokens, withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o700])
            if !fm.fileExists(atPath: conf) {
                let text = """
                    # Written by PersonaHSM DevToken: a project-local SoftHSM2 token store.
                    directories.tokendir = \(tokens)
                    objectstore.backend = file
                    log.level = ERROR
                    slots.removable = false
                    slots.mechanisms = ALL
                    library.reset_on_fork = true

                    """
                try text.write(toFile: conf, atomically: true, encoding: .utf8)
            }
        } catch {
            throw PKCS11Error(code: .devToken, function: "DevToken.prepare", message: "cannot write \(root): \(error)")
        }
        let current = ProcessInfo.processInfo.environment["SOFTHSM2_CONF"]
        if current != conf { setenv("SOFTHSM2_CONF", conf, 1) }
        return conf
    }

    /// The user PIN of the folder's tokens, created (random, mode 0600) on first use.
    public static func userPIN(folder: String) throws(PKCS11Error) -> PIN {
        let path = URL(fileURLWithPath: folder).standardizedFileURL.path + "/user.pin"
        if !FileManager.default.fileExists(atPath: path) {
            var random = SystemRandomNumberGenerator()
            let pin = (0..<16).map { _ in String(Int.random(in: 0...9, using: &random)) }.joined()
            guard FileManager.default.createFile(atPath: path, contents: Data((pin + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw PKCS11Error(code: .devToken, function: "DevToken.userPIN", message: "cannot write \(path)")
            }
        }
        return try PIN.fromFile(path)
    }

    /// Prepares `folder`, loads SoftHSM2, creates the token `label` if it does not exist, and
    /// logs in (unless `login` is false). Safe to call concurrently from several threads.
    /// - Throws: `.devToken` when SoftHSM2 was already loaded with another SOFTHSM2_CONF.
    public static func open(folder: String, label: String,
                            modulePath: String = defaultModulePath, login: Bool = true) throws(PKCS11Error) -> Token {
        try creation.withLock { (_) throws(PKCS11Error) -> Token in
            let conf = try prepare(folder: folder)
            let module = try PKCS11Module.load(path: modulePath)
            if let loadedWith = configLoaded.withLock({ $0[module.path] }), loadedWith != conf {
                throw PKCS11Error(code: .devToken, function: "DevToken.open",
                                  message: "\(module.path) was initialised with \(loadedWith), not \(conf)")
            }
            configLoaded.withLock { $0[module.path] = conf }
            let pin = try userPIN(folder: folder)
            let token: Token
            if let existing = try? module.token(label: label) {
                token = existing
            } else {
                token = try initialize(module: module, label: label, pin: pin)
            }
            if login { try token.login(pin: pin) }
            return token
        }
    }

    private static let configLoaded = Mutex<[String: String]>([:])

    /// C_InitToken on a free slot, then C_InitPIN as the security officer.
    private static func initialize(module: PKCS11Module, label: String, pin: PIN) throws(PKCS11Error) -> Token {
        guard label.utf8.count <= 32 else {
            throw PKCS11Error(code: .invalidArgument, function: "DevToken.open", message: "label longer than 32 bytes")
        }
        var free: UInt?
        for slot in try module.slotIDs() where !(try module.tokenInfo(slot: slot).isInitialized) { free = slot; break }
        guard let free else {
            throw PKCS11Error(code: .devToken, function: "DevToken.open", message: "no uninitialised slot")
        }
        // The SO PIN of a dev token is never needed again after C_InitPIN: make it random.
        var soPIN = Array((0..<16).map { _ in UInt8.random(in: 0x61...0x7A) })
        var padded = Array(label.utf8) + [UInt8](repeating: 0x20, count: 32 - label.utf8.count)
        let f = module.functions.pointee
        let rv = soPIN.withUnsafeMutableBufferPointer { so in
            padded.withUnsafeMutableBufferPointer { f.C_InitToken!(CK_SLOT_ID(free), so.baseAddress, CK_ULONG(so.count), $0.baseAddress) }
        }
        try check(rv, "C_InitToken")
        // SoftHSM2 moves an initialised token to a slot id derived from its serial: look it up again.
        let token = try module.token(label: label)
        let session = try module.rawOpenSession(slot: token.slot, readWrite: true)
        defer { _ = f.C_CloseSession!(CK_SESSION_HANDLE(session)) }
        let loginRV = soPIN.withUnsafeMutableBufferPointer {
            f.C_Login!(CK_SESSION_HANDLE(session), CK_USER_TYPE(CKU_SO), $0.baseAddress, CK_ULONG($0.count))
        }
        try check(loginRV, "C_Login(SO)")
        var userPIN = pin.bytes
        let pinRV = userPIN.withUnsafeMutableBufferPointer {
            f.C_InitPIN!(CK_SESSION_HANDLE(session), $0.baseAddress, CK_ULONG($0.count))
        }
        _ = f.C_Logout!(CK_SESSION_HANDLE(session))
        try check(pinRV, "C_InitPIN")
        return token
    }
}
