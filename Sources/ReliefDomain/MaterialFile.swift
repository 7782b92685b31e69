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

    /// The type the content really is, by its magic bytes; nil for anything else, whatever
    /// its name or declared type says.
    public static func mediaType<Bytes: Collection<UInt8>>(of content: Bytes) -> MediaType? {
        let head = Array(content.prefix(8))
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
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
