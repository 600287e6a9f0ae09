// Two verifiers for every signature the token makes, shared by the PKCS#11 and scheduler tests: OpenSSL called in-process, and
// pyca/cryptography in a subprocess (Tests/interop/hsm_verify.py). OpenSSL is handed the key as
// this layer's SPKI encoding (so a wrong encoding fails too) and ECDSA as DER converted by this
// layer; Python parses the SPKI and converts raw r‖s itself, independently of our code.

import COpenSSL
import Foundation
import PKCS11
import SoftCrypto

/// One signature to verify.
public struct SignatureCase: Sendable {
    public var key: PKCS11.PublicKey
    public var mechanism: SignatureMechanism
    public var message: [UInt8]
    public var signature: [UInt8]
    public var derECDSA = false

    public init(key: PKCS11.PublicKey, mechanism: SignatureMechanism, message: [UInt8], signature: [UInt8],
                derECDSA: Bool = false) {
        self.key = key
        self.mechanism = mechanism
        self.message = message
        self.signature = signature
        self.derECDSA = derECDSA
    }
}

public enum OpenSSLCheck {
    /// Verifies with OpenSSL's EVP_DigestVerify.
    public static func verify(_ c: SignatureCase) -> Bool {
        let spki = c.key.spkiDER
        let pkey: OpaquePointer? = spki.withUnsafeBufferPointer { buf in
            var p: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PUBKEY(nil, &p, buf.count)
        }
        guard let pkey else { return false }
        defer { EVP_PKEY_free(pkey) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        let md = c.mechanism == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(ctx, &pctx, md, nil, pkey) == 1 else { return false }
        if c.mechanism == .rsaPSSSHA256 {
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 else { return false }
        }
        var signature = c.signature
        if c.mechanism == .ecdsaP256SHA256 && !c.derECDSA {
            guard let der = try? ECDSASignatureEncoding.der(fromRaw: signature) else { return false }
            signature = der
        }
        return signature.withUnsafeBufferPointer { s in
            c.message.withUnsafeBufferPointer { m in
                EVP_DigestVerify(ctx, s.baseAddress, s.count, m.baseAddress, m.count) == 1
            }
        }
    }
}

public enum PythonCheck {
    /// Runs hsm_verify.py over all cases; returns (exit status, output).
    public static func verify(_ cases: [SignatureCase], expect: Bool = true) throws -> (Int32, String) {
        var input = ""
        for c in cases {
            let alg = c.mechanism == .ecdsaP256SHA256 && c.derECDSA ? "ecdsaP256SHA256DER" : c.mechanism.rawValue
            input += "{\"alg\":\"\(alg)\",\"spki\":\"\(c.key.spkiDER.hexString)\",\"msg\":\"\(c.message.hexString)\","
                + "\"sig\":\"\(c.signature.hexString)\",\"expect\":\(expect)}\n"
        }
        return try runPython(script: "Tests/interop/hsm_verify.py", input: input)
    }

    public static func runPython(script: String, arguments: [String] = [], input: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SharedTestData.packageRoot.appendingPathComponent(script).path] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
