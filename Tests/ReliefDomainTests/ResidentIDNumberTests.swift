import ReliefDomain
import Testing

@Suite("GB 11643 resident id numbers and masking")
struct ResidentIDNumberTests {
    /// Builds a valid number from 17 digits by computing its check character (GB 11643-1999).
    static func valid(_ first17: String) -> String {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(first17.compactMap(\.wholeNumberValue), weights).reduce(0) { $0 + $1.0 * $1.1 }
        return first17 + String(Array("10X98765432")[sum % 11])
    }

    @Test("well-known valid numbers pass, lower-case x is accepted")
    func validNumbers() throws {
        // 11010519491231002X is the standard's worked example.
        let example = try ResidentIDNumber("11010519491231002x")
        #expect(example.value == "11010519491231002X")
        #expect(example.birthDate == (1949, 12, 31))
        #expect(!example.isMale)
        let built = try ResidentIDNumber(Self.valid("32028119800101001"))
        #expect(built.isMale)
    }

    @Test("each kind of bad number is refused with its reason")
    func invalidNumbers() {
        #expect(throws: ResidentIDNumber.Problem.wrongLength(17)) { try ResidentIDNumber("32028119800101001") }
        #expect(throws: ResidentIDNumber.Problem.notDigits) { try ResidentIDNumber("32028119800101A011") }
        #expect(throws: ResidentIDNumber.Problem.invalidBirthDate) { try ResidentIDNumber(Self.valid("32028119800230001")) }
        #expect(throws: ResidentIDNumber.Problem.invalidBirthDate) { try ResidentIDNumber(Self.valid("32028118990101001")) }
        #expect(throws: ResidentIDNumber.Problem.invalidBirthDate) {
            try ResidentIDNumber(Self.valid("32028120300101001"), today: (2026, 11, 29))
        }
        #expect(throws: ResidentIDNumber.Problem.invalidAreaCode) { try ResidentIDNumber(Self.valid("00028119800101001")) }
        let good = Self.valid("32028119800101001")
        let wrongCheck = String(good.dropLast()) + (good.last == "1" ? "2" : "1")
        #expect(throws: ResidentIDNumber.Problem.self) { try ResidentIDNumber(wrongCheck) }
        #expect(ResidentIDNumber.Problem.checkCharacterMismatch(expected: "1").description.contains("校验位"))
    }

    @Test("masking shows only what a masked role may see")
    func masking() throws {
        let number = try ResidentIDNumber(Self.valid("32028119800101001"))
        #expect(number.masked.hasPrefix("3202") && number.masked.count == 18)
        #expect(number.masked.filter { $0 == "*" }.count == 10)
        #expect("\(number)" == number.masked)
        #expect(Masking.name("张三") == "张*")
        #expect(Masking.name("欧阳娜娜") == "欧阳**")
        #expect(Masking.phone("13812345678") == "138****5678")
        #expect(Masking.address("江苏省江阴市澄江街道某某路1号") == "江苏省江阴市****")
    }

    @Test("minors are recognised by birth date")
    func minors() throws {
        let child = try ResidentIDNumber(Self.valid("32028120100601002"))
        #expect(child.isMinor(on: (2026, 11, 29)))
        #expect(!child.isMinor(on: (2028, 6, 1)))
    }
}
