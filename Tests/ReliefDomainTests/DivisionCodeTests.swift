import ReliefDomain
import Testing

/// GB/T 2260 division codes, extended to 12 digits for townships and villages.
@Suite("Division codes")
struct DivisionCodeTests {
    @Test("a county is a county-level code: a province, a prefecture part and a county part, then six zeros")
    func counties() {
        for code in ["320281000000", "110101000000", "429004000000", "320299000000"] {
            #expect(DivisionCode.isCounty(code), "\(code)")
        }
        // A prefecture, a province, nothing, a township, a province that does not exist, not digits.
        for code in ["320200000000", "320000000000", "000000000000", "320281100000", "990101000000", "32028100000x", "32028100000"] {
            #expect(!DivisionCode.isCounty(code), "\(code)")
        }
    }
}
