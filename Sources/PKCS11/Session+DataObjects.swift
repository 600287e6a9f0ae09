// Small metadata blobs kept on the token as CKO_DATA objects, so the key registry's metadata lives
// next to the key material and replicates with it across an HSM cluster. Objects are found by
// CKA_APPLICATION (a namespace such as "personahsm/keys") plus CKA_LABEL (the entry's name).

extension Session {
    /// Stores `value` under (`application`, `label`), replacing any existing entry.
    /// - Parameter persistent: false for a session object that disappears with the session.
    @discardableResult
    public func storeData(_ value: [UInt8], application: String, label: String,
                          persistent: Bool = true) throws(PKCS11Error) -> ObjectHandle {
        for old in try dataObjects(application: application, label: label) { try destroyObject(old) }
        return try createObject([.objectClass(.data), .bool(.token, persistent), .bool(.private, true),
                                 .string(.application, application), .string(.label, label), .bytes(.value, value)])
    }

    /// The value stored under (`application`, `label`), or nil.
    public func readData(application: String, label: String) throws(PKCS11Error) -> [UInt8]? {
        guard let object = try dataObjects(application: application, label: label).first else { return nil }
        return try attribute(.value, of: object) ?? []
    }

    /// Labels of every data object of `application`.
    public func dataLabels(application: String) throws(PKCS11Error) -> [String] {
        var labels: [String] = []
        for object in try findObjects([.objectClass(.data), .string(.application, application)], limit: 100_000) {
            if let label = try attribute(.label, of: object) { labels.append(String(decoding: label, as: UTF8.self)) }
        }
        return labels.sorted()
    }

    /// Deletes the entry; returns whether one existed.
    @discardableResult
    public func deleteData(application: String, label: String) throws(PKCS11Error) -> Bool {
        let objects = try dataObjects(application: application, label: label)
        for object in objects { try destroyObject(object) }
        return !objects.isEmpty
    }

    private func dataObjects(application: String, label: String) throws(PKCS11Error) -> [ObjectHandle] {
        try findObjects([.objectClass(.data), .string(.application, application), .string(.label, label)])
    }
}
