// A token named in the server config apart from the key nodes: the custody vault and the
// shared-state token. Both are a PKCS#11 module, a token and where its PIN comes from.

import Foundation

/// A PKCS#11 module, one of its tokens and the source of its PIN.
public struct TokenReference: Codable, Hashable, Sendable {
    /// Path of the PKCS#11 module (.so).
    public var module: String
    /// Token label, or an RFC 7512 `pkcs11:` URI.
    public var token: String
    public var pinFile: String?
    public var pinEnv: String?

    enum CodingKeys: String, CodingKey {
        case module, token
        case pinFile = "pin_file", pinEnv = "pin_env"
    }

    public init(module: String, token: String, pinFile: String?, pinEnv: String?) {
        self.module = module
        self.token = token
        self.pinFile = pinFile
        self.pinEnv = pinEnv
    }

    /// Refuses a reference without a PIN source; `section` names it in the message.
    func validate(section: String) throws {
        if pinFile == nil && pinEnv == nil {
            throw ConfigError("\(section): set pin_file or pin_env (PINs never go on the command line)")
        }
    }

    mutating func resolvePaths(_ resolve: (String) -> String) {
        pinFile = pinFile.map(resolve)
        module = resolve(module)
    }
}
