// The names protoc-c gives to C types, functions and struct members, recomputed here so the
// generated Swift can call the C codec. These follow protoc-c 1.4's helpers (FullNameToC,
// FullNameToLower, FieldName); the round-trip tests compile against real protoc-c output, so a
// wrong rule shows up as a build error, not as silent corruption.

/// protoc-c naming rules.
enum CNaming {
    /// `persona.hsm.v1.SignRequest` → `Persona__Hsm__V1__SignRequest`.
    static func typeName(fullName: String) -> String {
        fullName.split(separator: ".").map { toCamel(String($0)) }.joined(separator: "__")
    }

    /// `persona.hsm.v1.SignRequest` → `persona__hsm__v1__sign_request` (prefix of `__pack` etc.).
    static func functionPrefix(fullName: String) -> String {
        fullName.split(separator: ".").map { camelToLower(String($0)) }.joined(separator: "__")
    }

    /// Struct member of a field: the name lower-cased, `_` appended to C/C++ keywords.
    static func memberName(field: String) -> String {
        let lower = field.lowercased()
        return keywords.contains(lower) ? lower + "_" : lower
    }

    /// The `<oneof>_case` member that says which oneof field is set.
    static func oneofCaseMember(oneof: String) -> String { camelToLower(oneof) + "_case" }

    /// protoc-c's ToCamel: upper-cases the first letter and each letter after `_`, drops `_`.
    static func toCamel(_ name: String) -> String {
        var result = ""
        var nextIsUpper = true
        for character in name {
            if character == "_" {
                nextIsUpper = true
            } else if nextIsUpper {
                result += character.uppercased()
                nextIsUpper = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// protoc-c's CamelToLower: `_` before a capital that follows a non-capital, all lower-cased.
    static func camelToLower(_ name: String) -> String {
        var result = ""
        var wasUpper = true
        for character in name {
            let isUpper = character.isASCII && character.isUppercase
            if isUpper {
                if !wasUpper { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
            wasUpper = isUpper
        }
        return result
    }

    /// protoc-c's keyword list (C and C++), whose field names get a trailing `_`.
    static let keywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class",
        "compl", "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else",
        "enum", "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
        "mutable", "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected",
        "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
        "xor_eq",
    ]
}
