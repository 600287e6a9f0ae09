// Strict base64url: RFC 4648 §10 vectors in the URL alphabet, a byte-exhaustive round trip, and
// every non-canonical spelling refused.

import Testing
import SoftCrypto

@Suite struct Base64URLTests {
    @Test func rfc4648Vectors() throws {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
                       ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test func roundTripsEveryLengthAndByte() throws {
        var bytes: [UInt8] = []
        for length in 0..<300 {
            #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            bytes.append(UInt8(truncatingIfNeeded: length &* 97 &+ 13))
        }
        let all = (0...255).map { UInt8($0) }
        #expect(try Base64URL.decode(Base64URL.encodeToBytes(all)) == all)
    }

    @Test(arguments: ["Zg==", "Zm8=", "Zh", "Zm9", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm9v\n", " Zm9v", "Zm9v!", "Zm9vYmFy=",
                      "ZmÖv"])
    func rejectsNonCanonical(text: String) {
        let error = #expect(throws: CryptoError.self) { try Base64URL.decode(text) }
        #expect(error?.code == .invalidEncoding)
    }
}
