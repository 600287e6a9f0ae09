// base58btc, multibase and multicodec varints: known answers, round trips, and each way of
// being malformed refused with its own code.

import Testing
import Credentials
import SoftCrypto

@Suite struct EncodingTests {
    @Test func base58KnownAnswers() throws {
        #expect(Base58BTC.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58BTC.encode([]) == "")
        #expect(Base58BTC.encode([0, 0, 1]) == "112")
        #expect(Base58BTC.encode([0]) == "1")
        #expect(try Base58BTC.decode("2NEpo7TZRRrLZSi2U") == Array("Hello World!".utf8))
        #expect(try Base58BTC.decode("112") == [0, 0, 1])
        #expect(try Base58BTC.decode("") == [])
    }

    @Test func base58RoundTrips() throws {
        var generator = SplitMix64(seed: 58)
        for length in 0..<80 {
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if length % 5 == 0, !bytes.isEmpty { bytes[0] = 0 }
            #expect(try Base58BTC.decode(Base58BTC.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: [("0abc", 0), ("abOc", 2), ("abcI", 3), ("lab", 0), ("ab c", 2), ("ab+", 2), ("abé", 2)])
    func base58RejectsForeignCharacters(text: String, position: Int) {
        let error = #expect(throws: CredentialError.self) { try Base58BTC.decode(text) }
        #expect(error?.code == .invalidBase58)
        #expect(error?.message.contains("position \(position)") == true, "\(String(describing: error))")
    }

    @Test func multibase() throws {
        #expect(Multibase.encodeBase58BTC([1, 2, 3]) == "zLdp")
        #expect(try Multibase.decodeBase58BTC("zLdp") == [1, 2, 3])
        for text in ["Ldp", "uAQID", "fo", ""] {
            let error = #expect(throws: CredentialError.self) { try Multibase.decodeBase58BTC(text) }
            #expect(error?.code == .wrongMultibasePrefix)
        }
        let bad = #expect(throws: CredentialError.self) { try Multibase.decodeBase58BTC("zL0p") }
        #expect(bad?.code == .invalidBase58)
    }

    @Test func varints() throws {
        #expect(Multicodec.encodeVarint(0xED) == [0xED, 0x01])
        #expect(Multicodec.encodeVarint(0x1300) == [0x80, 0x26])
        #expect(Multicodec.encodeVarint(0) == [0])
        #expect(Multicodec.encodeVarint(127) == [0x7F])
        #expect(try Multicodec.decodeVarint([0xED, 0x01, 0xFF]) == (0xED, 2))
        #expect(try Multicodec.decodeVarint([0x80, 0x26]) == (0x1300, 2))
        for bad: [UInt8] in [[], [0x80], [0xED, 0x81, 0x00], [UInt8](repeating: 0xFF, count: 10)] {
            let error = #expect(throws: CredentialError.self) { try Multicodec.decodeVarint(bad) }
            #expect(error?.code == .invalidVarint)
        }
    }
}
