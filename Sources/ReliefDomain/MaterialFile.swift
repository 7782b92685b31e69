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

    /// The type the content really is, by its structure; nil for anything else, whatever its
    /// name or declared type says. A file must be whole and well formed as far as its framing
    /// goes: a PDF ends with `startxref` and `%%EOF`; a JPEG's segments, each of its stated
    /// length, lead to its image data and it ends with the end-of-image marker; a PNG is a
    /// chain of chunks, IHDR first and IEND last. Trailing bytes scanners and editors leave are
    /// allowed. A signature followed by a page of HTML is refused, also with an end marker added.
    public static func mediaType(of content: some Collection<UInt8>) -> MediaType? {
        let bytes = Array(content)
        if bytes.starts(with: Array("%PDF-".utf8)) { return isWholePDF(bytes) ? .pdf : nil }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return isWholeJPEG(bytes) ? .jpeg : nil }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return isWholePNG(bytes) ? .png : nil }
        return nil
    }

    private static func isWholePDF(_ bytes: [UInt8]) -> Bool {
        let tail = Array(bytes.suffix(1024))
        return tail.contains(subsequence: Array("startxref".utf8)) && tail.contains(subsequence: Array("%%EOF".utf8))
    }

    /// Walks the marker segments from SOI to the start of scan (SOS), each length within the file.
    private static func isWholeJPEG(_ bytes: [UInt8]) -> Bool {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return false }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill byte
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { return false }
            if marker == 0xDA {  // start of scan: the image data follows, up to the end-of-image marker
                return Array(bytes.suffix(1024)).contains(subsequence: [0xFF, 0xD9])
            }
            offset += 2 + length
        }
        return false
    }

    /// Walks the chunks: each a length, a type of four letters, the data and a CRC, IHDR first.
    private static func isWholePNG(_ bytes: [UInt8]) -> Bool {
        var offset = 8
        var first = true
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = Array(bytes[(offset + 4)..<(offset + 8)])
            guard type.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }),
                  length <= bytes.count, offset + 12 + length <= bytes.count else { return false }
            if first, type != Array("IHDR".utf8) { return false }
            if type == Array("IEND".utf8) { return true }
            first = false
            offset += 12 + length
        }
        return false
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
