// The process-wide handle on one PKCS#11 module file. Cryptoki allows C_Initialize once per process
// and keeps login state per token for the whole process, so this type is the single owner of both:
// `load(path:)` returns the same object for the same file, `login` keeps one anchor session per
// token open (closing a token's last session logs it out), and `reinitialize()` is the only way to
// C_Finalize. Sessions compare their `generation` with the module's to notice a re-initialisation.

import CPKCS11
import Foundation
import Synchronization

/// A loaded and initialised PKCS#11 module (one per module file per process).
public final class PKCS11Module: @unchecked Sendable {
    /// Absolute path of the loaded module file.
    public let path: String
    /// The module's function table, valid as long as the process (modules are never unloaded).
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    private let state = Mutex(State())

    private struct State {
        var generation: UInt64 = 1
        /// slot id → (anchor session handle holding the login, PIN for re-login after reinit).
        var logins: [UInt: (session: UInt, pin: [UInt8])] = [:]
    }

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// Loads `path` with dlopen, or returns the module already loaded from that file, and makes
    /// sure it is initialised with `CKF_OS_LOCKING_OK`.
    /// - Throws: `.moduleLoad` when the file is missing or not a PKCS#11 module; a Cryptoki error
    ///   from C_Initialize.
    public static func load(path: String) throws(PKCS11Error) -> PKCS11Module {
        let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try loaded.withLock { (modules) throws(PKCS11Error) -> PKCS11Module in
            if let module = modules[key] { return module }
            let module = try PKCS11Module(path: key)
            modules[key] = module
            return module
        }
    }

    private init(path: String) throws(PKCS11Error) {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown"
            throw PKCS11Error(code: .moduleLoad, function: "dlopen", message: reason)
        }
        guard let symbol = dlsym(handle, "C_GetFunctionList") else {
            throw PKCS11Error(code: .moduleLoad, function: "dlsym",
                              message: "\(path) has no C_GetFunctionList")
        }
        typealias GetFunctionList = @convention(c) (
            UnsafeMutablePointer<UnsafeMutablePointer<CK_FUNCTION_LIST>?>?) -> CK_RV
        let getFunctionList = unsafeBitCast(symbol, to: GetFunctionList.self)
        var list: UnsafeMutablePointer<CK_FUNCTION_LIST>?
        try check(getFunctionList(&list), "C_GetFunctionList")
        guard let list else {
            throw PKCS11Error(code: .moduleLoad, function: "C_GetFunctionList", message: "returned no table")
        }
        // The handle is deliberately never closed: function pointers handed out stay valid.
        try PKCS11Module.initialize(list)
        self.path = path
        self.functions = list
    }

    private static func initialize(_ list: UnsafeMutablePointer<CK_FUNCTION_LIST>) throws(PKCS11Error) {
        var args = CK_C_INITIALIZE_ARGS()
        args.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
        let rv = withUnsafeMutablePointer(to: &args) { list.pointee.C_Initialize!(UnsafeMutableRawPointer($0)) }
        // ALREADY_INITIALIZED: another loader in this process initialised it; that is fine.
        try check(rv, "C_Initialize", alsoOK: UInt(CKR_CRYPTOKI_ALREADY_INITIALIZED))
    }

    /// Increases on every `reinitialize()`; sessions from an older generation are dead.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Finalizes and initialises the module again (after CKR_DEVICE_REMOVED or
    /// CKR_CRYPTOKI_NOT_INITIALIZED), then logs in again to every token that was logged in.
    /// Every open `Session` becomes invalid. Safe to call from several threads: only the first
    /// caller for a given generation does the work.
    /// - Parameter seenGeneration: the generation the caller saw failing; if the module moved on
    ///   since, nothing is done.
    public func reinitialize(ifGeneration seenGeneration: UInt64? = nil) throws(PKCS11Error) {
        try state.withLock { (s) throws(PKCS11Error) in
            if let seenGeneration, seenGeneration != s.generation { return }
            _ = functions.pointee.C_Finalize!(nil)
            s.generation += 1
            let old = s.logins
            s.logins = [:]
            try PKCS11Module.initialize(functions)
            for (slot, login) in old {
                let session = try rawOpenSession(slot: slot, readWrite: true)
                try rawLogin(session: session, pin: login.pin)
                s.logins[slot] = (session, login.pin)
            }
        }
    }

    /// Logs the normal user in to the token in `slot` for the whole process. Already being logged
    /// in is success. Keeps one anchor session open so the login survives other sessions closing.
    public func login(slot: UInt, pin: PIN) throws(PKCS11Error) {
        try state.withLock { (s) throws(PKCS11Error) in
            if s.logins[slot] != nil { return }
            let session = try rawOpenSession(slot: slot, readWrite: true)
            do throws(PKCS11Error) {
                try rawLogin(session: session, pin: pin.bytes)
            } catch {
                _ = functions.pointee.C_CloseSession!(CK_SESSION_HANDLE(session))
                throw error
            }
            s.logins[slot] = (session, pin.bytes)
        }
    }

    /// Whether `login(slot:pin:)` succeeded for this slot in the current generation.
    public func isLoggedIn(slot: UInt) -> Bool { state.withLock { $0.logins[slot] != nil } }

    func rawOpenSession(slot: UInt, readWrite: Bool) throws(PKCS11Error) -> UInt {
        var handle: CK_SESSION_HANDLE = 0
        var flags = CK_FLAGS(CKF_SERIAL_SESSION)
        if readWrite { flags |= CK_FLAGS(CKF_RW_SESSION) }
        try check(functions.pointee.C_OpenSession!(CK_SLOT_ID(slot), flags, nil, nil, &handle), "C_OpenSession")
        return UInt(handle)
    }

    private func rawLogin(session: UInt, pin: [UInt8]) throws(PKCS11Error) {
        var pin = pin
        let rv = pin.withUnsafeMutableBufferPointer {
            functions.pointee.C_Login!(CK_SESSION_HANDLE(session), CK_USER_TYPE(CKU_USER), $0.baseAddress,
                                       CK_ULONG($0.count))
        }
        try check(rv, "C_Login", alsoOK: UInt(CKR_USER_ALREADY_LOGGED_IN))
    }

    /// Opens a new session on `slot`. The session belongs to the calling thread: PKCS#11 modules
    /// (SoftHSM2 among them) crash when two threads use one session at once.
    public func openSession(slot: UInt, readWrite: Bool = true) throws(PKCS11Error) -> Session {
        let gen = generation
        let handle = try rawOpenSession(slot: slot, readWrite: readWrite)
        return Session(module: self, slot: slot, handle: handle, generation: gen)
    }
}

extension PKCS11Module {
    private static let mechanismCache = Mutex<[String: Set<UInt>]>([:])

    /// Whether `slot` supports `mechanism`, computing the slot's list once with `list`.
    func cachedMechanismSupport(slot: UInt, mechanism: UInt, list: () -> Set<UInt>) -> Bool {
        let key = "\(path)#\(slot)"
        if let known = PKCS11Module.mechanismCache.withLock({ $0[key] }) { return known.contains(mechanism) }
        let computed = list()
        PKCS11Module.mechanismCache.withLock { $0[key] = computed }
        return computed.contains(mechanism)
    }
}
