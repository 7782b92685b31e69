import Crypto
import Foundation

/// Encrypts personal data at rest (GB/T 37973): name, id number, phone, address.
///
/// Each value is sealed with AES-256-GCM under the current key, bound to where it belongs
/// (county and field) so a ciphertext copied into another row or column does not open. The
/// key's id travels in the sealed value, so old keys keep opening old values after a
/// rotation. A keyed hash (HMAC-SHA-256 under a separate key) finds values by equality and
/// detects duplicates without decrypting anything.
public struct PersonalDataCipher: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownKey(String)
        case malformed
        case notAuthentic
        case badConfiguration(String)

        public var description: String {
            switch self {
            case .unknownKey(let id): "no data key with id \(id) is configured"
            case .malformed: "the sealed value is malformed"
            case .notAuthentic: "the sealed value does not open: it was altered, or belongs to another row or field"
            case .badConfiguration(let why): "personal data keys: \(why)"
            }
        }
    }

    private let keys: [String: SymmetricKey]
    public let currentKeyID: String
    private let lookupKey: SymmetricKey
    private static let version: UInt8 = 1

    public init(keys: [String: SymmetricKey], currentKeyID: String, lookupKey: SymmetricKey) throws {
        guard keys[currentKeyID] != nil else { throw Failure.badConfiguration("the current key \(currentKeyID) is not among the keys") }
        guard keys.keys.allSatisfy({ !$0.isEmpty && $0.utf8.count < 256 }) else { throw Failure.badConfiguration("a key id is empty or too long") }
        guard keys.values.allSatisfy({ $0.bitCount == 256 }), lookupKey.bitCount == 256 else {
            throw Failure.badConfiguration("every key must be 32 bytes")
        }
        self.keys = keys
        self.currentKeyID = currentKeyID
        self.lookupKey = lookupKey
    }

    /// Reads `RELIEFLINK_DATA_KEYS` (`id:base64,id:base64`, the last is current) and
    /// `RELIEFLINK_LOOKUP_KEY` (base64), each key 32 random bytes (`openssl rand -base64 32`).
    public init(environment: [String: String]) throws {
        guard let list = environment["RELIEFLINK_DATA_KEYS"], !list.isEmpty else {
            throw Failure.badConfiguration("RELIEFLINK_DATA_KEYS is not set")
        }
        var keys: [String: SymmetricKey] = [:]
        var last = ""
        for entry in list.split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let bytes = Data(base64Encoded: String(parts[1])) else {
                throw Failure.badConfiguration("RELIEFLINK_DATA_KEYS entries are id:base64")
            }
            keys[String(parts[0])] = SymmetricKey(data: bytes)
            last = String(parts[0])
        }
        guard let text = environment["RELIEFLINK_LOOKUP_KEY"], !text.isEmpty else {
            throw Failure.badConfiguration("RELIEFLINK_LOOKUP_KEY is not set; set it to 32 random bytes in base64 (openssl rand -base64 32)")
        }
        guard let lookup = Data(base64Encoded: text) else {
            throw Failure.badConfiguration("RELIEFLINK_LOOKUP_KEY is not base64; set it to 32 random bytes in base64 (openssl rand -base64 32)")
        }
        try self.init(keys: keys, currentKeyID: last, lookupKey: SymmetricKey(data: lookup))
    }

    /// Fresh random keys that live as long as the process: for the demo's throw-away database
    /// and for tests, never for data that must outlive the process.
    public static func ephemeral() -> PersonalDataCipher {
        try! PersonalDataCipher(keys: ["ephemeral": SymmetricKey(size: .bits256)], currentKeyID: "ephemeral",
                                lookupKey: SymmetricKey(size: .bits256))
    }

    /// `version | key id length | key id | nonce | ciphertext | tag`
    public func seal(_ plaintext: String, countyID: UUID, field: String) throws -> Data {
        let sealed = try AES.GCM.seal(Data(plaintext.utf8), using: keys[currentKeyID]!,
                                      authenticating: Self.context(countyID, field))
        guard let combined = sealed.combined else { throw Failure.malformed }
        var output = Data([Self.version, UInt8(currentKeyID.utf8.count)])
        output.append(contentsOf: currentKeyID.utf8)
        output.append(combined)
        return output
    }

    public func open(_ sealed: Data, countyID: UUID, field: String) throws -> String {
        let bytes = [UInt8](sealed)
        guard bytes.count > 2, bytes[0] == Self.version else { throw Failure.malformed }
        let idLength = Int(bytes[1])
        guard bytes.count > 2 + idLength + 28 else { throw Failure.malformed }
        let keyID = String(decoding: bytes[2..<(2 + idLength)], as: UTF8.self)
        guard let key = keys[keyID] else { throw Failure.unknownKey(keyID) }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(bytes[(2 + idLength)...]))
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Self.context(countyID, field))
            return String(decoding: plaintext, as: UTF8.self)
        } catch {
            throw Failure.notAuthentic
        }
    }

    /// The id of the key a sealed value was sealed with (to find values to re-seal after a rotation).
    public static func keyID(of sealed: Data) -> String? {
        let bytes = [UInt8](sealed)
        guard bytes.count > 2, bytes[0] == version, bytes.count > 2 + Int(bytes[1]) else { return nil }
        return String(decoding: bytes[2..<(2 + Int(bytes[1]))], as: UTF8.self)
    }

    /// A keyed hash for equality look-ups, per county and field. Normalise first (e.g. an id
    /// number upper-cased), so equal values hash alike.
    public func lookupHash(_ value: String, countyID: UUID, field: String) -> Data {
        var message = Self.context(countyID, field)
        message.append(0)
        message.append(contentsOf: value.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: lookupKey))
    }

    private static func context(_ countyID: UUID, _ field: String) -> Data {
        Data("relieflink|\(countyID.uuidString.lowercased())|\(field)".utf8)
    }
}
