// The one error type of the PKCS#11 layer. A failing Cryptoki call is reported with the CKR value,
// its name and the function that returned it, because "CKR_KEY_TYPE_INCONSISTENT from C_SignInit"
// is what an operator needs to see; errors found before any call (bad URI, bad key bytes) use a
// code of their own and no CKR value.

/// An error of the PKCS#11 layer: a code, the failing function, a message and an optional cause.
public struct PKCS11Error: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely; growable like a status code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A Cryptoki function returned something other than CKR_OK (see `returnValue`).
        public static let cryptoki = Code("cryptoki")
        /// The module file could not be loaded or has no C_GetFunctionList.
        public static let moduleLoad = Code("moduleLoad")
        /// No slot, token or object matched.
        public static let notFound = Code("notFound")
        /// The caller passed something malformed (URI, key bytes, parameters).
        public static let invalidArgument = Code("invalidArgument")
        /// The token answered with data this layer does not accept (vendor quirk we do not know).
        public static let unexpectedData = Code("unexpectedData")
        /// A PIN could not be read from its file or environment variable.
        public static let pin = Code("pin")
        /// Setting up a development token failed.
        public static let devToken = Code("devToken")
    }

    /// Coarse kind of failure.
    public var code: Code
    /// The CKR value when `code == .cryptoki`, else nil.
    public var returnValue: UInt?
    /// The Cryptoki function (or layer operation) that failed, e.g. `C_Sign`.
    public var function: String
    /// Human-readable explanation.
    public var message: String

    public init(code: Code, returnValue: UInt? = nil, function: String, message: String) {
        self.code = code
        self.returnValue = returnValue
        self.function = function
        self.message = message
    }

    /// An error for a CKR value returned by `function`.
    public init(returnValue rv: UInt, function: String, message: String = "") {
        self.init(code: .cryptoki, returnValue: rv, function: function,
                  message: message.isEmpty ? PKCS11Error.name(of: rv) : message)
    }

    /// The symbolic name of a CKR value, e.g. `CKR_PIN_INCORRECT`; unknown values print in hex.
    public static func name(of rv: UInt) -> String {
        if let name = ReturnValueNames.byValue[rv] { return name }
        return rv >= 0x8000_0000 ? "CKR_VENDOR_DEFINED+0x\(String(rv - 0x8000_0000, radix: 16))"
                                 : "CKR_0x\(String(rv, radix: 16))"
    }

    /// The CKR name when this is a Cryptoki error.
    public var returnValueName: String? { returnValue.map(PKCS11Error.name(of:)) }

    public var description: String {
        if let name = returnValueName { return "\(function): \(name)" + (message == name ? "" : " (\(message))") }
        return "\(function): \(code): \(message)"
    }
}

extension PKCS11Error {
    /// The session is gone or stuck: close it and open another (CKR_SESSION_HANDLE_INVALID,
    /// CKR_SESSION_CLOSED, CKR_OPERATION_ACTIVE).
    public var invalidatesSession: Bool {
        guard let rv = returnValue else { return false }
        return rv == 0xB3 || rv == 0xB0 || rv == 0x90
    }

    /// The object handle is stale: find the key again by CKA_ID (CKR_OBJECT_HANDLE_INVALID,
    /// CKR_KEY_HANDLE_INVALID).
    public var invalidatesObjectHandle: Bool {
        guard let rv = returnValue else { return false }
        return rv == 0x82 || rv == 0x60
    }

    /// The module must be finalized and initialized again (CKR_DEVICE_REMOVED,
    /// CKR_CRYPTOKI_NOT_INITIALIZED, CKR_TOKEN_NOT_PRESENT).
    public var requiresReinitialization: Bool {
        guard let rv = returnValue else { return false }
        return rv == 0x32 || rv == 0x190 || rv == 0xE0
    }

    /// The device itself failed (CKR_DEVICE_ERROR, CKR_DEVICE_MEMORY, CKR_GENERAL_ERROR):
    /// the backend is suspect; another backend may succeed.
    public var isDeviceFault: Bool {
        guard let rv = returnValue, !isAuthenticationFailure else { return false }
        return rv == 0x30 || rv == 0x31 || rv == 0x05 || requiresReinitialization
    }

    /// An AEAD tag did not verify. Modules disagree on how to say so: CKR_ENCRYPTED_DATA_INVALID
    /// is the standard answer, SoftHSM2 2.6.1 returns CKR_GENERAL_ERROR from C_Decrypt for GCM.
    public var isAuthenticationFailure: Bool {
        function == "C_Decrypt" && (returnValue == 0x40 || returnValue == 0x05)
    }

    /// The caller's input was rejected (data, mechanism or key type).
    public var isInputRejected: Bool {
        guard let rv = returnValue else { return code == .invalidArgument }
        return isAuthenticationFailure || [0x20, 0x21, 0x40, 0x41, 0x63, 0x68, 0x70, 0x71, 0xC0, 0xC1, 0x150, 0x12].contains(rv)
    }
}

/// Throws a `PKCS11Error` unless `rv` is CKR_OK (or one of `alsoOK`).
@inline(__always)
func check(_ rv: UInt, _ function: StaticString, alsoOK: UInt? = nil) throws(PKCS11Error) {
    if rv == 0 || rv == alsoOK { return }
    throw PKCS11Error(returnValue: rv, function: "\(function)")
}
