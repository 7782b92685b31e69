import Crypto
import Foundation

/// Query codes are stored as their SHA-256 only, like credentials.
enum QueryCodeHash {
    static func digest(of code: String) -> Data {
        Data(SHA256.hash(data: Data(code.utf8)))
    }

    static func hex(of code: String) -> String {
        digest(of: code).hexEncoded
    }
}
