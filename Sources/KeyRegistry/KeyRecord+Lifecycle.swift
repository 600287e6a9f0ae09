// The life-cycle rules as pure functions on a record, so they are tested without an HSM:
// which transitions are legal, what rotation does to older versions, what may sign or verify.

extension KeyRecord {
    /// Key names: lower-case letters, digits, `.`, `_`, `-`; 1–128 characters; starts alphanumeric.
    public static func validateName(_ name: String) throws {
        let bytes = Array(name.utf8)
        func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard (1...128).contains(bytes.count), isAlphanumeric(bytes[0]),
              bytes.allSatisfy({ isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D })
        else {
            throw KeyRegistryError(.invalidArgument,
                                   "invalid key name '\(name)': use 1-128 of a-z 0-9 . _ -, starting with a letter or digit",
                                   reason: "INVALID_KEY_NAME")
        }
    }

    /// Adds `newVersion` and makes it primary. For Ed25519 keys, whose did:key cannot rotate,
    /// the versions that were enabled become verify-only (an operator disables them later);
    /// other algorithms keep older versions enabled for decryption/verification continuity.
    public mutating func addPrimaryVersion(_ newVersion: KeyVersionRecord, nowMillis: Int64) {
        if algorithm == .ed25519 {
            for index in versions.indices where versions[index].state == .enabled {
                versions[index].state = .verifyOnly
            }
        }
        versions.append(newVersion)
        primaryVersion = newVersion.version
        nextRotationMillis = rotationPeriodSeconds == 0 ? 0
            : Self.millis(nowMillis, plusSeconds: rotationPeriodSeconds)
        revision += 1
    }

    /// The next version number.
    public var nextVersionNumber: UInt32 { (versions.map(\.version).max() ?? 0) + 1 }

    /// Whether automatic rotation is due at `nowMillis`.
    public func isRotationDue(nowMillis: Int64) -> Bool {
        rotationPeriodSeconds > 0 && nextRotationMillis > 0 && nowMillis >= nextRotationMillis
    }

    /// The version that signs/encrypts: `requested`, or the primary when 0.
    public func versionForPrivateOperation(_ requested: UInt32) throws -> KeyVersionRecord {
        let number = requested == 0 ? primaryVersion : requested
        guard let record = version(number) else { throw KeyRegistryError.versionNotFound(name, number) }
        guard record.isUsableForPrivateOperations else {
            throw KeyRegistryError(.failedPrecondition,
                                   "key \(name) version \(number) is \(record.state.rawValue) and cannot sign or encrypt",
                                   reason: Self.reason(for: record.state))
        }
        return record
    }

    /// Versions that may verify/decrypt: `requested` only, or all usable ones (newest first) when 0.
    public func versionsForPublicOperation(_ requested: UInt32) throws -> [KeyVersionRecord] {
        if requested != 0 {
            guard let record = version(requested) else { throw KeyRegistryError.versionNotFound(name, requested) }
            guard record.isUsableForPublicOperations else {
                throw KeyRegistryError(.failedPrecondition,
                                       "key \(name) version \(requested) is \(record.state.rawValue)",
                                       reason: Self.reason(for: record.state))
            }
            return [record]
        }
        let usable = versions.filter(\.isUsableForPublicOperations).sorted { $0.version > $1.version }
        guard !usable.isEmpty else {
            throw KeyRegistryError(.failedPrecondition, "key \(name) has no version that may verify",
                                   reason: "NO_USABLE_VERSION")
        }
        return usable
    }

    /// Enables a disabled or verify-only version (0 = every such version). An older Ed25519
    /// version comes back verify-only, never able to sign: its did:key was rotated away.
    public mutating func enable(_ number: UInt32) throws {
        let (algorithm, primary) = (self.algorithm, primaryVersion)
        try transition(number) { state, version in
            switch state {
            case .enabled, .disabled, .verifyOnly:
                return algorithm == .ed25519 && version != primary ? .verifyOnly : .enabled
            case .destructionScheduled, .destroyed: return nil
            }
        }
    }

    /// Disables an enabled or verify-only version (0 = every such version).
    public mutating func disable(_ number: UInt32) throws {
        try transition(number) { state in
            switch state {
            case .enabled, .disabled, .verifyOnly: return .disabled
            case .destructionScheduled, .destroyed: return nil
            }
        }
    }

    /// Schedules destruction of one version after `waitMillis`.
    public mutating func scheduleDestruction(_ number: UInt32, nowMillis: Int64, waitMillis: Int64) throws {
        guard number != 0 else {
            throw KeyRegistryError(.invalidArgument, "name one version to destroy", reason: "VERSION_REQUIRED")
        }
        let previous = version(number)?.state
        try transition(number) { state in
            state == .destroyed || state == .destructionScheduled ? nil : .destructionScheduled
        }
        let index = versions.firstIndex { $0.version == number }!
        let (after, overflow) = nowMillis.addingReportingOverflow(waitMillis)
        versions[index].destroyAfterMillis = overflow ? .max : after
        versions[index].stateBeforeDestruction = previous == .enabled ? .disabled : previous
    }

    /// Cancels a scheduled destruction; the version comes back disabled (never silently enabled).
    public mutating func cancelDestruction(_ number: UInt32) throws {
        try transition(number) { state in state == .destructionScheduled ? .disabled : nil }
        let index = versions.firstIndex { $0.version == number }!
        versions[index].destroyAfterMillis = nil
        versions[index].stateBeforeDestruction = nil
    }

    /// Versions whose destruction is due at `nowMillis`.
    public func versionsDueForDestruction(nowMillis: Int64) -> [KeyVersionRecord] {
        versions.filter { $0.state == .destructionScheduled && ($0.destroyAfterMillis ?? .max) <= nowMillis }
    }

    /// Marks a version destroyed once its material is gone.
    public mutating func markDestroyed(_ number: UInt32) {
        guard let index = versions.firstIndex(where: { $0.version == number }) else { return }
        versions[index].state = .destroyed
        versions[index].publicKeySPKI = nil
        revision += 1
    }

    private mutating func transition(_ number: UInt32, _ rule: (KeyVersionState) -> KeyVersionState?) throws {
        try transition(number) { state, _ in rule(state) }
    }

    private mutating func transition(_ number: UInt32, _ rule: (KeyVersionState, UInt32) -> KeyVersionState?) throws {
        let targets = number == 0 ? versions.indices.filter { rule(versions[$0].state, versions[$0].version) != nil } : {
            guard let index = versions.firstIndex(where: { $0.version == number }) else { return [] }
            return [index]
        }()
        guard !targets.isEmpty else {
            throw number == 0 ? KeyRegistryError(.failedPrecondition, "no version of \(name) can make that change")
                : KeyRegistryError.versionNotFound(name, number)
        }
        for index in targets {
            guard let next = rule(versions[index].state, versions[index].version) else {
                throw KeyRegistryError(.failedPrecondition,
                                       "key \(name) version \(versions[index].version) is \(versions[index].state.rawValue)",
                                       reason: Self.reason(for: versions[index].state))
            }
            versions[index].state = next
        }
        revision += 1
    }

    static func reason(for state: KeyVersionState) -> String {
        switch state {
        case .enabled: return ""
        case .disabled: return "KEY_DISABLED"
        case .verifyOnly: return "KEY_VERIFY_ONLY"
        case .destructionScheduled: return "KEY_DESTRUCTION_SCHEDULED"
        case .destroyed: return "KEY_DESTROYED"
        }
    }

    /// `now + seconds` in milliseconds, saturating: the service bounds periods to 100 years, but
    /// the registry is also driven by config and tests, and an overflow here would trap.
    static func millis(_ now: Int64, plusSeconds seconds: UInt64) -> Int64 {
        let (period, tooLong) = Int64(clamping: seconds).multipliedReportingOverflow(by: 1000)
        guard !tooLong else { return .max }
        let (sum, overflow) = now.addingReportingOverflow(period)
        return overflow ? .max : sum
    }
}
