/// How personal data shows to a role that may not see it in full (GB/T 37973: least privilege).
public enum Masking {
    /// `3202**********123X`
    public static func idNumber(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8) + String(characters.suffix(4))
    }

    /// `张*`, `欧阳**`: the first character of the name only (two for four-character names).
    public static func name(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 1 else { return characters.isEmpty ? "" : "*" }
        let kept = characters.count >= 4 ? 2 : 1
        return String(characters.prefix(kept)) + String(repeating: "*", count: characters.count - kept)
    }

    /// `138****5678`
    public static func phone(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count >= 7 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(3)) + String(repeating: "*", count: characters.count - 7) + String(characters.suffix(4))
    }

    /// The first six characters (province, city, district) and stars for the rest.
    public static func address(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 6 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(6)) + "****"
    }
}
