// A token in a slot of a loaded module: what upper layers hold on to instead of a bare slot id.
// Slots are found by token label or by an RFC 7512 URI, because slot ids are not stable across
// runs (SoftHSM2 derives them from token serials and reorders them after C_InitToken).

import CPKCS11
import Glibc

/// What C_GetTokenInfo reports, in Swift types.
public struct TokenInfo: Sendable, Hashable {
    public var label: String
    public var manufacturer: String
    public var model: String
    public var serialNumber: String
    /// CKF_* token flags.
    public var flags: UInt
    /// ulMaxSessionCount; nil when the token reports CK_UNAVAILABLE_INFORMATION or
    /// CK_EFFECTIVELY_INFINITE.
    public var maxSessionCount: Int?
    /// ulSessionCount; nil when unavailable.
    public var sessionCount: Int?

    /// Whether the token has been initialised (CKF_TOKEN_INITIALIZED).
    public var isInitialized: Bool { flags & UInt(CKF_TOKEN_INITIALIZED) != 0 }
}

/// A token in one slot of one module.
public struct Token: Sendable, Hashable {
    public let module: PKCS11Module
    public let slot: UInt
    public let info: TokenInfo

    public static func == (a: Token, b: Token) -> Bool { a.module === b.module && a.slot == b.slot }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(module)); h.combine(slot) }

    /// Logs the user in for the whole process (see `PKCS11Module.login`).
    public func login(pin: PIN) throws(PKCS11Error) { try module.login(slot: slot, pin: pin) }

    /// Opens a session owned by the calling thread.
    public func openSession(readWrite: Bool = true) throws(PKCS11Error) -> Session {
        try module.openSession(slot: slot, readWrite: readWrite)
    }

    /// Fresh token information (session counts change).
    public func refreshedInfo() throws(PKCS11Error) -> TokenInfo { try module.tokenInfo(slot: slot) }
}

extension PKCS11Module {
    /// Slot ids, only those with a token present by default.
    public func slotIDs(tokenPresent: Bool = true) throws(PKCS11Error) -> [UInt] {
        var count: CK_ULONG = 0
        let present = CK_BBOOL(tokenPresent ? CK_TRUE : CK_FALSE)
        try check(functions.pointee.C_GetSlotList!(present, nil, &count), "C_GetSlotList")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        let rv = slots.withUnsafeMutableBufferPointer { functions.pointee.C_GetSlotList!(present, $0.baseAddress, &count) }
        try check(rv, "C_GetSlotList")
        return slots[..<Int(count)].map { UInt($0) }
    }

    /// C_GetTokenInfo for `slot`.
    public func tokenInfo(slot: UInt) throws(PKCS11Error) -> TokenInfo {
        var info = CK_TOKEN_INFO()
        try check(functions.pointee.C_GetTokenInfo!(CK_SLOT_ID(slot), &info), "C_GetTokenInfo")
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in
                String(decoding: raw, as: UTF8.self).trimmingTrailing(" \0")
            }
        }
        func count(_ n: CK_ULONG) -> Int? {
            n == CK_ULONG.max || n == 0 ? nil : Int(n)
        }
        return TokenInfo(label: text(info.label), manufacturer: text(info.manufacturerID),
                         model: text(info.model), serialNumber: text(info.serialNumber),
                         flags: UInt(info.flags), maxSessionCount: count(info.ulMaxSessionCount),
                         sessionCount: count(info.ulSessionCount))
    }

    /// All tokens present. A slot whose C_GetTokenInfo fails is left out (one broken token must
    /// not hide the others); when every slot fails, the last error is thrown.
    public func tokens() throws(PKCS11Error) -> [Token] {
        var result: [Token] = []
        var lastError: PKCS11Error?
        let slots = try slotIDs()
        for slot in slots {
            do throws(PKCS11Error) {
                result.append(Token(module: self, slot: slot, info: try tokenInfo(slot: slot)))
            } catch {
                lastError = error
            }
        }
        if result.isEmpty, let lastError { throw lastError }
        return result
    }

    /// The initialised token with this label.
    /// - Throws: `.notFound` when no token has it; the Cryptoki error of a slot that could not
    ///   be read when the label was not found elsewhere (the token may be that slot).
    public func token(label: String) throws(PKCS11Error) -> Token {
        var lastError: PKCS11Error?
        // SoftHSM2 sometimes answers C_GetTokenInfo with CKR_GENERAL_ERROR for a moment while
        // other threads and processes create and write tokens in the same store (seen in 1 of 6
        // parallel test runs without this retry, 0 of 10 with it; the exact trigger inside
        // SoftHSM2 is not pinned down): when a slot failed and none matched, look again, briefly.
        for attempt in 0..<4 {
            if attempt > 0 { usleep(UInt32(2_000 << attempt)) }
            lastError = nil
            for slot in try slotIDs() {
                do throws(PKCS11Error) {
                    let info = try tokenInfo(slot: slot)
                    if info.isInitialized && info.label == label { return Token(module: self, slot: slot, info: info) }
                } catch {
                    lastError = error
                }
            }
            if lastError == nil { break }
        }
        if let lastError { throw lastError }
        throw PKCS11Error(code: .notFound, function: "token(label:)", message: "no token labelled \"\(label)\"")
    }

    /// The token matching every token attribute of an RFC 7512 URI (token, manufacturer, serial,
    /// model, slot-id). Exactly one token must match.
    public func token(matching uri: PKCS11URI) throws(PKCS11Error) -> Token {
        let matches = try tokens().filter { uri.matches(token: $0) }
        guard let first = matches.first else {
            throw PKCS11Error(code: .notFound, function: "token(matching:)", message: "no token matches \(uri)")
        }
        guard matches.count == 1 else {
            throw PKCS11Error(code: .invalidArgument, function: "token(matching:)",
                              message: "\(matches.count) tokens match \(uri); add token= or serial=")
        }
        return first
    }
}

extension String {
    func trimmingTrailing(_ characters: String) -> String {
        var s = Substring(self)
        while let last = s.last, characters.contains(last) { s = s.dropLast() }
        return String(s)
    }
}
