// Known-answer tests for the digests every layer relies on.

import Testing
import SoftCrypto

@Suite struct DigestTests {
    @Test func sha256KnownAnswers() {
        #expect(SHA256.hash(Array("abc".utf8)).hexString
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([]).hexString
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var incremental = SHA256()
        incremental.update(Array("ab".utf8))
        incremental.update(Array("c".utf8))
        #expect(incremental.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    @Test func crc32cKnownAnswers() {
        // RFC 3720 B.4 and the common "123456789" check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func crc32cContinues() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let whole = CRC32C.checksum(data)
        let first = data[..<333].withUnsafeBytes { CRC32C.checksum($0) }
        let both = data[333...].withUnsafeBytes { CRC32C.checksum($0, continuing: first) }
        #expect(both == whole)
    }

    @Test func hexRoundTrip() {
        #expect([UInt8](hexString: "00ff10Ab")! == [0, 255, 16, 171])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
        #expect([UInt8]([1, 2, 254]).hexString == "0102fe")
    }
}
