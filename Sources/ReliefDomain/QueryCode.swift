/// The code an applicant keeps beside their case or complaint number to read it without an
/// account (§6.2.1). Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L):
/// 31⁸ ≈ 8.5 × 10¹¹ codes, and look-ups are rate-limited, so guessing is hopeless.
public enum QueryCode {
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    public static let length = 8

    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A code as typed by a person: case and spaces do not matter.
    public static func normalized(_ typed: String) -> String? {
        let code = typed.uppercased().filter { !$0.isWhitespace }
        guard code.count == length, code.allSatisfy(alphabet.contains) else { return nil }
        return code
    }
}
