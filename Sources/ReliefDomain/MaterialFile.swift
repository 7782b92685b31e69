import Foundation

/// A file uploaded as a case material (§6.1.2.2): what it is, judged by its bytes, and a name
/// that is safe to store and to send back.
public enum MaterialFile {
    public static let maximumBytes = 20 * 1024 * 1024

    public enum MediaType: String, Sendable, CaseIterable {
        case pdf = "application/pdf"
        case jpeg = "image/jpeg"
        case png = "image/png"

        public var fileExtension: String {
            switch self {
            case .pdf: "pdf"
            case .jpeg: "jpg"
            case .png: "png"
            }
        }
    }

    /// The type the content really is, by how it begins and how it ends; nil for anything
    /// else, whatever its name or declared type says. A file must be whole: a PDF ends with
    /// `%%EOF`, a JPEG with its end-of-image marker, a PNG with its IEND chunk after an IHDR
    /// first, each allowing the trailing bytes scanners and editors leave. A file that only
    /// begins like one (a signature followed by a page of HTML) is refused.
    public static func mediaType<Bytes: BidirectionalCollection<UInt8>>(of content: Bytes) -> MediaType? {
        let head = Array(content.prefix(16))
        let tail = Array(content.suffix(1024))
        if head.starts(with: Array("%PDF-".utf8)) {
            return tail.contains(subsequence: Array("%%EOF".utf8)) ? .pdf : nil
        }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            return content.count > 4 && tail.contains(subsequence: [0xFF, 0xD9]) ? .jpeg : nil
        }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            let startsWithHeader = head.count == 16 && Array(head[12..<16]) == Array("IHDR".utf8)
            return startsWithHeader && tail.contains(subsequence: Array("IEND".utf8)) ? .png : nil
        }
        return nil
    }

    /// A file name that cannot climb directories, hide control characters or break a
    /// Content-Disposition header: the last path component, control and quoting characters
    /// dropped, at most 100 characters, and the extension of its real type.
    public static func safeName(_ proposed: String?, type: MediaType) -> String {
        let lastComponent = (proposed ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(lastComponent.unicodeScalars.filter { scalar in
            !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
              || "\"<>:|?*;".unicodeScalars.contains(scalar))
        })
        while name.hasPrefix(".") { name.removeFirst() }
        if let dot = name.lastIndex(of: ".") { name = String(name[..<dot]) }
        name = String(name.trimmingCharacters(in: .whitespaces).prefix(100))
        if name.isEmpty { name = "材料" }
        return name + "." + type.fileExtension
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array as consecutive bytes.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { start in self[start..<(start + needle.count)].elementsEqual(needle) }
    }
}
