import Crypto
import Foundation

/// A bearer credential: `rl_<county id, 32 hex>_<secret, 43 base64url>`. It names its county
/// so the server can enter that county before looking the credential up; only the SHA-256
/// of the whole token is stored.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible {
    public let countyID: UUID
    /// The full token, shown to its holder once.
    public let value: String

    public static func generate(countyID: UUID) -> AccessToken {
        var secret = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in secret.indices { secret[index] = generator.next() }
        let encoded = Data(secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return AccessToken(countyID: countyID, value: "rl_\(Self.hex(countyID))_\(encoded)")
    }

    /// Reads a token presented by a client; nil when it is not of our form.
    public init?(_ value: String) {
        let parts = value.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "rl", parts[1].count == 32, parts[2].count == 43,
              parts[2].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        let hex = Array(parts[1])
        let dashed = String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
        guard let countyID = UUID(uuidString: dashed) else { return nil }
        self.countyID = countyID
        self.value = value
    }

    private init(countyID: UUID, value: String) {
        self.countyID = countyID
        self.value = value
    }

    /// What the database keeps.
    public var hash: Data { Data(SHA256.hash(data: Data(value.utf8))) }

    var hashHex: String { hash.hexEncoded }

    /// Never the secret.
    public var description: String { "rl_\(Self.hex(countyID))_…" }

    private static func hex(_ id: UUID) -> String {
        id.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
