import Crypto
import Foundation
import ReliefStore
import Testing

@Suite("Personal data encryption")
struct PersonalDataCipherTests {
    let county = UUID()
    let old = SymmetricKey(size: .bits256)
    let new = SymmetricKey(size: .bits256)
    let lookup = SymmetricKey(size: .bits256)

    @Test("values round-trip, are not readable at rest, and differ each time they are sealed")
    func roundTrip() throws {
        let cipher = try PersonalDataCipher(keys: ["2026a": old], currentKeyID: "2026a", lookupKey: lookup)
        let sealed = try cipher.seal("32028119800101001X", countyID: county, field: "applicant.id_number")
        #expect(try cipher.open(sealed, countyID: county, field: "applicant.id_number") == "32028119800101001X")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("3202811980"))
        #expect(try cipher.seal("32028119800101001X", countyID: county, field: "applicant.id_number") != sealed)
        #expect(PersonalDataCipher.keyID(of: sealed) == "2026a")
    }

    @Test("after a rotation old values still open and new ones use the new key")
    func rotation() throws {
        let before = try PersonalDataCipher(keys: ["2026a": old], currentKeyID: "2026a", lookupKey: lookup)
        let sealedBefore = try before.seal("张三", countyID: county, field: "applicant.name")
        let after = try PersonalDataCipher(keys: ["2026a": old, "2027a": new], currentKeyID: "2027a", lookupKey: lookup)
        #expect(try after.open(sealedBefore, countyID: county, field: "applicant.name") == "张三")
        #expect(PersonalDataCipher.keyID(of: try after.seal("李四", countyID: county, field: "applicant.name")) == "2027a")
        let retired = try PersonalDataCipher(keys: ["2027a": new], currentKeyID: "2027a", lookupKey: lookup)
        #expect(throws: PersonalDataCipher.Failure.unknownKey("2026a")) {
            try retired.open(sealedBefore, countyID: county, field: "applicant.name")
        }
    }

    @Test("an altered value, or one moved to another county or field, does not open")
    func tampering() throws {
        let cipher = try PersonalDataCipher(keys: ["k": old], currentKeyID: "k", lookupKey: lookup)
        var sealed = try cipher.seal("13812345678", countyID: county, field: "applicant.phone")
        #expect(throws: PersonalDataCipher.Failure.notAuthentic) { try cipher.open(sealed, countyID: UUID(), field: "applicant.phone") }
        #expect(throws: PersonalDataCipher.Failure.notAuthentic) { try cipher.open(sealed, countyID: county, field: "applicant.address") }
        sealed[sealed.count - 1] ^= 1
        #expect(throws: PersonalDataCipher.Failure.notAuthentic) { try cipher.open(sealed, countyID: county, field: "applicant.phone") }
        #expect(throws: PersonalDataCipher.Failure.malformed) { try cipher.open(Data([1, 2, 3]), countyID: county, field: "applicant.phone") }
    }

    @Test("look-up hashes are stable per county and field, and keyed")
    func lookupHashes() throws {
        let cipher = try PersonalDataCipher(keys: ["k": old], currentKeyID: "k", lookupKey: lookup)
        let other = try PersonalDataCipher(keys: ["k": old], currentKeyID: "k", lookupKey: SymmetricKey(size: .bits256))
        let hash = cipher.lookupHash("32028119800101001X", countyID: county, field: "id_number")
        #expect(hash == cipher.lookupHash("32028119800101001X", countyID: county, field: "id_number"))
        #expect(hash != cipher.lookupHash("32028119800101001X", countyID: UUID(), field: "id_number"))
        #expect(hash != other.lookupHash("32028119800101001X", countyID: county, field: "id_number"))
    }

    @Test("configuration from the environment, with clear refusals")
    func configuration() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let cipher = try PersonalDataCipher(environment: [
            "RELIEFLINK_DATA_KEYS": "old:\(key),new:\(key)", "RELIEFLINK_LOOKUP_KEY": key,
        ])
        #expect(cipher.currentKeyID == "new")
        #expect(throws: PersonalDataCipher.Failure.self) { try PersonalDataCipher(environment: [:]) }
        #expect(throws: PersonalDataCipher.Failure.self) {
            try PersonalDataCipher(environment: ["RELIEFLINK_DATA_KEYS": "a:c2hvcnQ=", "RELIEFLINK_LOOKUP_KEY": key])
        }
    }
}
