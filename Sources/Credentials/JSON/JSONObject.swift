// A JSON object as an ordered list of members. Order is kept because issuers and people read
// documents; uniqueness of keys (by exact Unicode scalars) is an invariant every mutation keeps.
// Lookups are linear: credential objects have a handful of members, where a scan beats hashing.

/// One object member.
public struct JSONMember: Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object: members in insertion order, keys unique by Unicode scalars.
public struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The members in order.
    public private(set) var members: [JSONMember]

    /// An empty object.
    public init() { members = [] }

    /// An object from members whose keys are already known to be unique (used by the parser).
    init(uniqueMembers: [JSONMember]) { members = uniqueMembers }

    /// An object from members.
    ///
    /// - Throws: ``JSONError`` with code `duplicateKey` if two keys have the same Unicode scalars.
    public init(members: [JSONMember]) throws(JSONError) {
        self.members = []
        self.members.reserveCapacity(members.count)
        for member in members {
            guard index(of: member.key) == nil else {
                throw JSONError(.duplicateKey, "duplicate key \"\(member.key)\"", offset: nil)
            }
            self.members.append(member)
        }
    }

    /// Literal objects; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = []
        for (key, value) in elements { self[key] = value }
    }

    /// Number of members.
    public var count: Int { members.count }
    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }
    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Position of `key` (exact scalars), or nil.
    public func index(of key: String) -> Int? {
        members.firstIndex { scalarsEqual($0.key, key) }
    }

    /// Whether a member named exactly `key` exists.
    public func contains(_ key: String) -> Bool { index(of: key) != nil }

    /// The value of `key`; setting replaces in place or appends; setting nil removes.
    public subscript(key: String) -> JSONValue? {
        get { index(of: key).map { members[$0].value } }
        set {
            if let position = index(of: key) {
                if let newValue { members[position].value = newValue } else { members.remove(at: position) }
            } else if let newValue {
                members.append(JSONMember(key, newValue))
            }
        }
    }

    /// Removes `key` and returns its value, if present.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(of: key) else { return nil }
        return members.remove(at: position).value
    }

    /// Same keys (by scalars) with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }
}
