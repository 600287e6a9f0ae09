// Runs operations on one logged-in session with the recovery rules of docs/DESIGN.md §4: reopen
// the session on CKR_SESSION_HANDLE_INVALID / CKR_OPERATION_ACTIVE, find the key again by CKA_ID on
// CKR_OBJECT_HANDLE_INVALID, re-initialise the module on CKR_DEVICE_REMOVED /
// CKR_CRYPTOKI_NOT_INITIALIZED. Key handles (and key types, to reject a wrong mechanism before the
// HSM sees it) are cached per session. Used by in-process worker threads and, unchanged, inside
// HSM worker processes. Owned by one thread at a time.

import PKCS11

/// The outcome of one operation on a backend.
enum ExecutionOutcome: Sendable {
    case done(HSMResult)
    /// The request is wrong or not allowed; another backend would say the same.
    case failed(HSMError)
    /// This backend has no such key; another one may.
    case keyMissing
    /// The backend is broken; the work should move to another backend.
    case backendFault(HSMError)
    /// The deadline passed before the HSM call.
    case expired
    /// The token refused another session (CKR_SESSION_COUNT): the HSM is up but this worker
    /// cannot have a session; the work goes back to the queue for the others.
    case noSession
}

final class SessionExecutor {
    let backendName: String
    private let modulePath: String
    private let tokenLabel: String
    private let pin: PIN
    private var session: Session?
    private var module: PKCS11Module?
    /// The token found by label, kept until the module is re-initialised (slot ids can change then).
    private var token: Token?
    private var tokenGeneration: UInt64 = 0
    /// The module generation seen when the current attempt started (for coordinated re-init).
    private var observedGeneration: UInt64?
    private var keys: [CacheKey: (handle: ObjectHandle, type: KeyType)] = [:]
    /// Per-credential keys derived on this session (session objects, bounded LRU).
    private var derivedKeys = DerivedKeyCache()

    private struct CacheKey: Hashable { var id: [UInt8]; var objectClass: ObjectClass }

    init(backendName: String, modulePath: String, tokenLabel: String, pin: PIN) {
        self.backendName = backendName
        self.modulePath = modulePath
        self.tokenLabel = tokenLabel
        self.pin = pin
    }

    /// The session, opened (and the token logged in) on first use or after it went stale.
    private func liveSession() throws(PKCS11Error) -> Session {
        if let session, !session.isStale { return session }
        session = nil
        keys.removeAll()
        derivedKeys.removeAll()
        let module = try loadedModule()
        let token: Token
        if let known = self.token, known.module.generation == tokenGeneration {
            token = known
        } else {
            token = try module.token(label: tokenLabel)
            self.token = token
            tokenGeneration = module.generation
        }
        try token.login(pin: pin)
        let fresh = try token.openSession()
        session = fresh
        return fresh
    }

    private func loadedModule() throws(PKCS11Error) -> PKCS11Module {
        if let module { return module }
        let loaded = try PKCS11Module.load(path: modulePath)
        module = loaded
        return loaded
    }

    /// Drops the session (the next call opens a new one).
    func reset() {
        session = nil
        keys.removeAll()
        derivedKeys.removeAll()
    }

    /// Runs one operation, recovering from lost sessions and handles; checks the deadline before
    /// every HSM call.
    func execute(_ operation: HSMOperation, key: KeyReference, deadline: ContinuousClock.Instant?) -> ExecutionOutcome {
        // Malformed input is refused here: the layer below reports it as a non-Cryptoki error,
        // which recovery would otherwise mistake for a broken backend.
        if let problem = Self.invalidInput(operation) {
            return .failed(HSMError(.invalidArgument, problem, backend: backendName))
        }
        var lastError: PKCS11Error?
        // Several rounds: when another worker re-initialises the module, this session is lost
        // again right after recovering, so a few consecutive failures are normal progress. The
        // deadline still bounds the loop.
        for _ in 0..<8 {
            if let deadline, ContinuousClock.now >= deadline { return .expired }
            observedGeneration = module?.generation
            do throws(PKCS11Error) {
                let session = try liveSession()
                let cacheKey = CacheKey(id: key.id, objectClass: operation.keyClass)
                let cached: (handle: ObjectHandle, type: KeyType)
                if let hit = keys[cacheKey] {
                    cached = hit
                } else {
                    guard let handle = try session.findKey(id: key.id, objectClass: operation.keyClass) else { return .keyMissing }
                    let type = KeyType(rawValue: try session.ulongAttribute(.keyType, of: handle) ?? 0)
                    cached = (handle, type)
                    keys[cacheKey] = cached
                }
                if let mismatch = Self.mismatch(operation, keyType: cached.type) {
                    return .failed(HSMError(.invalidArgument, mismatch, backend: backendName))
                }
                if let deadline, ContinuousClock.now >= deadline { return .expired }
                return .done(try perform(operation, keyID: key.id, key: cached.handle, session: session))
            } catch {
                lastError = error
                if let final = recover(from: error) { return final }
            }
        }
        return .backendFault(HSMError(.unavailable(retryAfter: .milliseconds(100)), "recovery did not help",
                                      backend: backendName, cause: lastError))
    }

    private func perform(_ operation: HSMOperation, keyID: [UInt8], key: ObjectHandle,
                         session: Session) throws(PKCS11Error) -> HSMResult {
        switch operation {
        case .sign(let message, let mechanism, let format):
            return .signature(try session.sign(message, key: key, mechanism: mechanism, ecdsaFormat: format))
        case .signDigest(let digest, let mechanism, let format):
            return .signature(try session.signDigest(digest, key: key, mechanism: mechanism, ecdsaFormat: format))
        case .encrypt(let plaintext, let aad):
            return .sealed(try session.encryptGCM(plaintext, key: key, aad: aad))
        case .decrypt(let box, let aad):
            return .plaintext(try session.decryptGCM(box, key: key, aad: aad))
        case .encryptDerived(let plaintext, let aad, let credential):
            let derived = try derivedKey(master: key, masterID: keyID, credential: credential, session: session)
            return .sealed(try session.encryptGCM(plaintext, key: derived, aad: aad))
        case .decryptDerived(let box, let aad, let credential):
            let derived = try derivedKey(master: key, masterID: keyID, credential: credential, session: session)
            return .plaintext(try session.decryptGCM(box, key: derived, aad: aad))
        }
    }

    /// CKA_ID of derived session keys: distinct from every registry key, so a lookup by a
    /// master's CKA_ID never finds one of them.
    static let derivedKeyID = Array("personahsm/derived".utf8)

    /// The per-credential key of `credential` under `master`, derived on first use and cached.
    private func derivedKey(master: ObjectHandle, masterID: [UInt8], credential: [UInt8],
                            session: Session) throws(PKCS11Error) -> ObjectHandle {
        let cacheKey = DerivedKeyCache.Key(masterID: masterID, credentialID: credential)
        if let hit = derivedKeys.handle(for: cacheKey) { return hit }
        let handle = try session.deriveAESKey(master: master, context: credential, options: KeyOptions(
            id: Self.derivedKeyID, label: "derived", persistent: false, allowWrapping: false,
            secretUsage: .encryptDecrypt))
        if let evicted = derivedKeys.insert(handle, for: cacheKey) {
            try? session.destroyObject(evicted)
        }
        return handle
    }

    private static func invalidInput(_ operation: HSMOperation) -> String? {
        switch operation {
        case .signDigest(_, .ed25519, _): "pure Ed25519 signs the message itself, not a digest"
        case .signDigest(let digest, _, _) where digest.count != 32: "a SHA-256 digest is 32 bytes, got \(digest.count)"
        default: nil
        }
    }

    private static func mismatch(_ operation: HSMOperation, keyType: KeyType) -> String? {
        let expected: KeyType
        switch operation {
        case .sign(_, .ed25519, _), .signDigest(_, .ed25519, _): expected = .ecEdwards
        case .sign(_, .ecdsaP256SHA256, _), .signDigest(_, .ecdsaP256SHA256, _): expected = .ec
        case .sign(_, .rsaPKCS1SHA256, _), .sign(_, .rsaPSSSHA256, _),
             .signDigest(_, .rsaPKCS1SHA256, _), .signDigest(_, .rsaPSSSHA256, _): expected = .rsa
        case .encrypt, .decrypt, .encryptDerived, .decryptDerived: expected = .aes
        }
        return keyType == expected ? nil : "key type 0x\(String(keyType.rawValue, radix: 16)) does not fit the operation"
    }

    /// Applies the recovery rule for `error`: nil when the call should be retried (session,
    /// handles or module were reset), else the final outcome.
    private func recover(from error: PKCS11Error) -> ExecutionOutcome? {
        session?.noteFailure(error)
        if error.returnValue == 0xB1 { return .noSession }  // CKR_SESSION_COUNT
        if error.invalidatesSession {
            reset()
            return nil
        }
        if error.invalidatesObjectHandle {
            keys.removeAll()
            derivedKeys.removeAll()
            return nil
        }
        if error.requiresReinitialization {
            let generation = session?.generation ?? observedGeneration
            reset()
            do throws(PKCS11Error) {
                try loadedModule().reinitialize(ifGeneration: generation)
                return nil
            } catch {
                return .backendFault(HSMError(.unavailable(retryAfter: .milliseconds(200)), "re-initialisation failed",
                                              backend: backendName, cause: error))
            }
        }
        if error.isDeviceFault || error.code != .cryptoki {
            return .backendFault(HSMError(.unavailable(retryAfter: .milliseconds(100)), "device fault",
                                          backend: backendName, cause: error))
        }
        return .failed(HSMError.from(error, backend: backendName))
    }

    /// Health probe: the session answers and, if given, the health key (Ed25519) signs.
    func probe(healthKey: KeyReference?) -> ExecutionOutcome {
        if let healthKey {
            return execute(.sign(message: Array("health".utf8), mechanism: .ed25519, ecdsaFormat: .raw), key: healthKey,
                           deadline: nil)
        }
        var lastError: PKCS11Error?
        for _ in 0..<3 {
            observedGeneration = module?.generation
            do throws(PKCS11Error) {
                try liveSession().ping()
                return .done(.plaintext([]))
            } catch {
                lastError = error
                if let final = recover(from: error) { return final }
            }
        }
        return .backendFault(HSMError(.unavailable(retryAfter: .milliseconds(100)), "probe failed",
                                      backend: backendName, cause: lastError))
    }
}
