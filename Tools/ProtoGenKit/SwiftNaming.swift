// How proto names become Swift names. Kept in one place so every renderer spells a field, enum
// constant or method the same way, and so the collision checks see the final spelling.

/// Proto-to-Swift spelling rules.
public enum SwiftNaming {
    /// `key_name` → `keyName`, `digest_sha256` → `digestSha256`, `fooBar` → `fooBar`.
    public static func lowerCamel(_ snake: String) -> String {
        let parts = snake.split(separator: "_").map(String.init)
        guard let first = parts.first else { return snake }
        var result = lowercasedLeadingWord(first)
        for part in parts.dropFirst() { result += capitalizedFirst(part) }
        return result
    }

    /// `input_checksum` → `InputChecksum`.
    public static func upperCamel(_ snake: String) -> String {
        snake.split(separator: "_").map { capitalizedFirst(String($0)) }.joined()
    }

    /// Enum constant: the enum's UPPER_SNAKE prefix is dropped when what remains is still a
    /// valid, distinct name (`KEY_STATE_ENABLED` → `enabled`, `AES_256_GCM` → `aes256Gcm`).
    public static func enumCase(_ valueName: String, enumName: String) -> String {
        let prefix = upperSnake(enumName) + "_"
        var base = valueName
        if valueName.hasPrefix(prefix), let next = valueName.dropFirst(prefix.count).first, next.isLetter {
            base = String(valueName.dropFirst(prefix.count))
        }
        let parts = base.split(separator: "_").map { $0.lowercased() }
        guard let first = parts.first else { return base.lowercased() }
        return first + parts.dropFirst().map { capitalizedFirst($0) }.joined()
    }

    /// `SignBatch` → `signBatch`, `URLFetch` → `urlFetch`.
    public static func methodName(_ name: String) -> String { lowercasedLeadingWord(name) }

    /// `KeyState` → `KEY_STATE`, `HTTPRequest` → `HTTP_REQUEST`.
    public static func upperSnake(_ camel: String) -> String {
        var result = ""
        let characters = Array(camel)
        for (index, character) in characters.enumerated() {
            if index > 0, character.isUppercase {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    result += "_"
                }
            }
            result += character.uppercased()
        }
        return result
    }

    /// Wraps Swift keywords in backticks so they can be declared and referenced.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// A Swift string literal for `text` (quotes, backslashes and control characters escaped).
    public static func stringLiteral(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func capitalizedFirst(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst()
    }

    /// Lower-cases the leading run of capitals, keeping the last one when a lower-case letter
    /// follows it (the start of the next word).
    private static func lowercasedLeadingWord(_ word: String) -> String {
        let characters = Array(word)
        var end = 0
        while end < characters.count, characters[end].isUppercase { end += 1 }
        if end == 0 { return word }
        if end > 1, end < characters.count, characters[end].isLowercase { end -= 1 }
        return String(characters[..<end]).lowercased() + String(characters[end...])
    }

    /// Words that need backticks as declared names in Swift.
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate",
        "func", "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private",
        "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias",
        "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as",
        "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "Type", "Protocol",
    ]

    /// Type names generated code relies on; a schema type with one of these names would shadow
    /// them inside the generated module, so generation refuses it.
    static let reservedTypeNames: Set<String> = [
        "Swift", "RPCCore", "Array", "Bool", "CaseIterable", "CustomStringConvertible", "Dictionary",
        "Double", "Equatable", "Error", "Float", "Hashable", "Int", "Int32", "Int64", "Never", "Optional",
        "RawRepresentable", "Sendable", "String", "UInt32", "UInt64", "UInt8", "Void", "Character",
        "AsyncThrowingMapSequence", "AsyncThrowingStream", "AsyncSequence", "UnsafePointer",
        "UnsafeMutablePointer", "UnsafeBufferPointer", "UnsafeMutableRawPointer", "UnsafeRawPointer",
        "ProtobufCRuntime", "ProtobufCArena", "ProtobufCArenaOwner", "ProtobufCArenaState",
        "ProtobufCDecodeFailure", "Unicode", "UTF8",
    ]
}
