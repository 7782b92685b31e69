import ReliefDomain
import Testing

@Suite("Intake rules: applicants, query codes, material files")
struct IntakeRulesTests {
    static let validID = "11010519491231002X"

    @Test("an applicant needs a name without digits, a valid id number and a phone number (§5.1)")
    func applicant() throws {
        let applicant = try Applicant(name: " 张三 ", idNumber: Self.validID.lowercased(), phone: "138 0013 8000", address: "  ")
        #expect(applicant.name == "张三")
        #expect(applicant.idNumber.value == Self.validID)
        #expect(applicant.phone == "13800138000")
        #expect(applicant.address == nil)
        // Chinese numerals are part of names.
        #expect((try? Applicant(name: "王五", idNumber: Self.validID, phone: "0510-86861234", address: nil)) != nil)
        #expect(throws: InvalidInput.self) { try Applicant(name: "张3", idNumber: Self.validID, phone: "13800138000", address: nil) }
        #expect(throws: InvalidInput.self) { try Applicant(name: "", idNumber: Self.validID, phone: "13800138000", address: nil) }
        #expect(throws: InvalidInput.self) { try Applicant(name: "张三", idNumber: "110105194912310021", phone: "13800138000", address: nil) }
        #expect(throws: InvalidInput.self) { try Applicant(name: "张三", idNumber: Self.validID, phone: "12345", address: nil) }
        #expect(throws: InvalidInput.self) { try Applicant(name: "张三", idNumber: Self.validID, phone: "23800138000", address: nil) }
        #expect(throws: InvalidInput.self) {
            try Applicant(name: "张三", idNumber: Self.validID, phone: "13800138000", address: String(repeating: "路", count: 201))
        }
        // Invisible characters alone are no name, and hide text inside one; an address takes none either.
        for name in ["\u{202E}", "\u{FEFF}", "张\u{202E}三", "·", "张\u{0}三"] {
            #expect(throws: InvalidInput.self, "\(name.unicodeScalars.map { String($0.value, radix: 16) })") {
                try Applicant(name: name, idNumber: Self.validID, phone: "13800138000", address: nil)
            }
        }
        #expect((try? Applicant(name: "阿卜杜·艾力", idNumber: Self.validID, phone: "13800138000", address: nil)) != nil)
        for address in ["澄江街道\u{0}1号", "东门\u{202E}路"] {
            #expect(throws: InvalidInput.self) { try Applicant(name: "张三", idNumber: Self.validID, phone: "13800138000", address: address) }
        }
    }

    @Test("check characters make valid numbers")
    func checkCharacter() throws {
        let first17 = "32028119800101001"
        let number = first17 + String(try #require(ResidentIDNumber.checkCharacter(forFirst17: first17)))
        #expect((try? ResidentIDNumber(number)) != nil)
        #expect(ResidentIDNumber.checkCharacter(forFirst17: "3202811980010100") == nil)
        #expect(ResidentIDNumber.checkCharacter(forFirst17: "3202811980010100a") == nil)
    }

    @Test("query codes have 8 characters without look-alikes, and typed codes are normalised")
    func queryCodes() {
        var seen = Set<String>()
        for _ in 0..<200 {
            let code = QueryCode.generate()
            #expect(code.count == 8)
            #expect(code.allSatisfy { QueryCode.alphabet.contains($0) })
            #expect(!code.contains { "01OIL".contains($0) })
            seen.insert(code)
        }
        #expect(seen.count == 200)
        #expect(QueryCode.normalized(" abcd efgh ") == "ABCDEFGH")
        #expect(QueryCode.normalized("ABCDEFG") == nil)
        #expect(QueryCode.normalized("ABCDEFG0") == nil)
    }

    @Test("a material's type is judged by its bytes, never its name, and a file must be whole (§6.1.2.2)")
    func mediaType() {
        #expect(MaterialFile.mediaType(of: Array("%PDF-1.7\n1 0 obj << >> endobj\nstartxref\n9\n%%EOF\n".utf8)) == .pdf)
        #expect(MaterialFile.mediaType(of: Array("%PDF-1.7\n".utf8)) == nil, "no %%EOF: cut short")
        #expect(MaterialFile.mediaType(of: Array("%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n".utf8)) == nil,
                "no cross-reference: HTML with PDF's first and last line")
        // SOI, an APP0 segment of 4 bytes, the start of scan, image data, EOI.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0x4A, 0x46, 0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]
        #expect(MaterialFile.mediaType(of: jpeg) == .jpeg)
        #expect(MaterialFile.mediaType(of: jpeg + [0, 0]) == .jpeg, "trailing bytes allowed")
        #expect(MaterialFile.mediaType(of: [0xFF, 0xD8, 0xFF] + Array("<html><script>".utf8)) == nil)
        #expect(MaterialFile.mediaType(of: [0xFF, 0xD8, 0xFF, 0xE0] + Array("<html><body>hi</body></html>".utf8) + [0xFF, 0xD9]) == nil,
                "an APP0 segment longer than the file: HTML with JPEG's first and last bytes")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D] + Array("IHDR".utf8)
            + [0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0] + [0x1F, 0x15, 0xC4, 0x89]
            + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
        #expect(MaterialFile.mediaType(of: png) == .png)
        #expect(MaterialFile.mediaType(of: Array(png.prefix(8))) == nil, "a signature alone")
        #expect(MaterialFile.mediaType(of: Array(png.dropLast(12))) == nil, "no IEND")
        #expect(MaterialFile.mediaType(of: Array(png.prefix(8)) + Array("<html><body>IEND</body></html>".utf8)) == nil)
        #expect(MaterialFile.mediaType(of: Array("<html>".utf8)) == nil)
        #expect(MaterialFile.mediaType(of: [UInt8]()) == nil)
        #expect(MaterialFile.mediaType(of: Array("MZ\u{90}".utf8)) == nil)
    }

    @Test("hostile file names become harmless names with the real extension",
          arguments: [
              ("../../etc/passwd.pdf", MaterialFile.MediaType.pdf, "passwd.pdf"),
              ("C:\\Users\\x\\身份证.jpg", .jpeg, "身份证.jpg"),
              ("evil\"; filename=x.exe", .png, "evil filename=x.png"),
              ("line\r\nbreak.png", .png, "linebreak.png"),
              ("...hidden", .pdf, "hidden.pdf"),
              ("../..", .pdf, "材料.pdf"),
              ("", .pdf, "材料.pdf"),
              ("report.exe", .pdf, "report.pdf"),
          ])
    func safeNames(name: String, type: MaterialFile.MediaType, expected: String) {
        let safe = MaterialFile.safeName(name, type: type)
        #expect(safe == expected)
        #expect(!safe.contains("/") && !safe.contains("\\") && !safe.contains("\""))
    }
}
