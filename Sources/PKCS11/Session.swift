// One PKCS#11 session. A session is owned by exactly one thread at a time (SoftHSM2 crashes when two
// threads use one session at once), so this class is deliberately not Sendable: a scheduler worker
// opens it on its own thread and keeps it there. Closing happens once, in deinit, and only while
// the module is still in the generation the session was opened in.

import CPKCS11

/// A handle to an object (key, data blob) valid within one session's module generation.
public struct ObjectHandle: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public var description: String { "obj#\(rawValue)" }
}

/// An open PKCS#11 session on one slot.
public final class Session {
    /// The module the session belongs to.
    public let module: PKCS11Module
    /// The slot the session is open on.
    public let slot: UInt
    /// Cryptoki's session handle.
    let handle: CK_SESSION_HANDLE
    /// The module generation the session was opened in.
    public let generation: UInt64

    init(module: PKCS11Module, slot: UInt, handle: UInt, generation: UInt64) {
        self.module = module
        self.slot = slot
        self.handle = CK_SESSION_HANDLE(handle)
        self.generation = generation
    }

    /// Set when the module said the handle is gone: closing it again could close an unrelated
    /// session that was given the same handle number meanwhile.
    private var handleIsDead = false

    deinit {
        if !handleIsDead && module.generation == generation { _ = f.C_CloseSession!(handle) }
    }

    /// Records that `error` (from a call on this session) means the handle no longer exists, so
    /// deinit will not close it. Returns whether it did.
    @discardableResult
    public func noteFailure(_ error: PKCS11Error) -> Bool {
        // CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT.
        if let rv = error.returnValue, [0xB3, 0xB0, 0x32, 0xE0].contains(rv) { handleIsDead = true }
        return handleIsDead
    }

    /// The function table, for brevity at call sites.
    var f: CK_FUNCTION_LIST { module.functions.pointee }

    /// Whether the module has been re-initialised since this session was opened.
    public var isStale: Bool { module.generation != generation }

    /// Finds objects matching `template` (at most `limit`).
    public func findObjects(_ template: [Attribute], limit: Int = 64) throws(PKCS11Error) -> [ObjectHandle] {
        try check(template.withCTemplate { f.C_FindObjectsInit!(handle, $0, $1) }, "C_FindObjectsInit")
        defer { _ = f.C_FindObjectsFinal!(handle) }
        var found: [ObjectHandle] = []
        var buffer = [CK_OBJECT_HANDLE](repeating: 0, count: 32)
        while found.count < limit {
            var count: CK_ULONG = 0
            let rv = buffer.withUnsafeMutableBufferPointer {
                f.C_FindObjects!(handle, $0.baseAddress, CK_ULONG(Swift.min($0.count, limit - found.count)), &count)
            }
            try check(rv, "C_FindObjects")
            if count == 0 { break }
            found += buffer[..<Int(count)].map { ObjectHandle(rawValue: UInt($0)) }
        }
        return found
    }

    /// Reads one attribute; nil when the object does not have it (or it is sensitive).
    public func attribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> [UInt8]? {
        var attr = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type.rawValue), pValue: nil, ulValueLen: 0)
        var rv = f.C_GetAttributeValue!(handle, CK_OBJECT_HANDLE(object.rawValue), &attr, 1)
        if rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE { return nil }
        try check(rv, "C_GetAttributeValue")
        if attr.ulValueLen == CK_ULONG.max { return nil }
        var value = [UInt8](repeating: 0, count: Int(attr.ulValueLen))
        rv = value.withUnsafeMutableBytes { buf in
            attr.pValue = buf.baseAddress
            return f.C_GetAttributeValue!(handle, CK_OBJECT_HANDLE(object.rawValue), &attr, 1)
        }
        try check(rv, "C_GetAttributeValue")
        return Array(value[..<Int(attr.ulValueLen)])
    }

    /// Reads a CK_BBOOL attribute.
    public func boolAttribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> Bool? {
        try attribute(type, of: object).map { $0.first.map { $0 != 0 } ?? false }
    }

    /// Reads a CK_ULONG attribute.
    public func ulongAttribute(_ type: AttributeType, of object: ObjectHandle) throws(PKCS11Error) -> UInt? {
        try attribute(type, of: object).flatMap(decodeULong)
    }

    /// Creates an object from a full template (C_CreateObject).
    public func createObject(_ template: [Attribute]) throws(PKCS11Error) -> ObjectHandle {
        var object: CK_OBJECT_HANDLE = 0
        try check(template.withCTemplate { f.C_CreateObject!(handle, $0, $1, &object) }, "C_CreateObject")
        return ObjectHandle(rawValue: UInt(object))
    }

    /// Sets attributes of an existing object (C_SetAttributeValue).
    public func setAttributes(_ template: [Attribute], of object: ObjectHandle) throws(PKCS11Error) {
        let rv = template.withCTemplate { f.C_SetAttributeValue!(handle, CK_OBJECT_HANDLE(object.rawValue), $0, $1) }
        try check(rv, "C_SetAttributeValue")
    }

    /// Destroys an object.
    public func destroyObject(_ object: ObjectHandle) throws(PKCS11Error) {
        try check(f.C_DestroyObject!(handle, CK_OBJECT_HANDLE(object.rawValue)), "C_DestroyObject")
    }

    /// Random bytes from the token's generator.
    public func generateRandom(count: Int) throws(PKCS11Error) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let rv = out.withUnsafeMutableBufferPointer { f.C_GenerateRandom!(handle, $0.baseAddress, CK_ULONG(count)) }
        try check(rv, "C_GenerateRandom")
        return out
    }

    /// SHA-256 computed inside the token (used for key-derivation inputs and ECDSA on modules
    /// without CKM_ECDSA_SHA256).
    public func sha256(_ data: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_SHA256), pParameter: nil, ulParameterLen: 0)
        try check(f.C_DigestInit!(handle, &mechanism), "C_DigestInit")
        var out = [UInt8](repeating: 0, count: 32)
        var outLen = CK_ULONG(32)
        var input = data
        let rv = input.withUnsafeMutableBufferPointer { inp in
            out.withUnsafeMutableBufferPointer { f.C_Digest!(handle, inp.baseAddress, CK_ULONG(inp.count), $0.baseAddress, &outLen) }
        }
        try check(rv, "C_Digest")
        return Array(out[..<Int(outLen)])
    }

    /// The mechanisms the slot's token supports.
    public func mechanisms() throws(PKCS11Error) -> Set<UInt> {
        var count: CK_ULONG = 0
        try check(f.C_GetMechanismList!(CK_SLOT_ID(slot), nil, &count), "C_GetMechanismList")
        var list = [CK_MECHANISM_TYPE](repeating: 0, count: Int(count))
        let rv = list.withUnsafeMutableBufferPointer { f.C_GetMechanismList!(CK_SLOT_ID(slot), $0.baseAddress, &count) }
        try check(rv, "C_GetMechanismList")
        return Set(list[..<Int(count)].map { UInt($0) })
    }

    /// Checks that the session still answers (C_GetSessionInfo); used by health checks.
    public func ping() throws(PKCS11Error) {
        var info = CK_SESSION_INFO()
        try check(f.C_GetSessionInfo!(handle, &info), "C_GetSessionInfo")
    }
}
