import Foundation

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, as hashes are shown and as `decode(..., 'hex')` reads them.
    var hexEncoded: String {
        map { String(format: "%02x", $0) }.joined()
    }
}
