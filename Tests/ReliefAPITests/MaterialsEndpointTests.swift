import Foundation
import HTTPTypes
import Testing

/// The case's materials archive (DB32/T 4012-2021 §6.1.2.2), reviewed against the item's
/// review standard (§6.1.3.2).
@Suite("Case materials over HTTP")
struct MaterialsEndpointTests {
    static let pdf = Data("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n".utf8)
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
                           0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89,
                           0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])

    static func uploadPath(_ caseID: String, fileName: String? = nil, materialKey: String? = nil) -> String {
        var query: [String] = []
        if let fileName { query.append("fileName=" + queryValue(fileName)) }
        if let materialKey { query.append("materialKey=" + queryValue(materialKey)) }
        return "/api/v1/cases/\(caseID)/materials" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    func upload(_ api: APITester, _ token: String, caseID: String, _ content: Data, contentType: String = "application/pdf",
                fileName: String? = nil, materialKey: String? = nil) async throws -> APIReply {
        try await api.send(.post, Self.uploadPath(caseID, fileName: fileName, materialKey: materialKey), token: token, raw: content,
                           headers: [.contentType: contentType])
    }

    /// No path separators, no control or quoting characters, the real type's extension.
    static func isHarmless(_ name: String, extension ext: String) -> Bool {
        !name.contains("/") && !name.contains("\\") && !name.contains("\"") && !name.hasPrefix(".")
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control } && name.hasSuffix("." + ext)
    }

    @Test("§6.1.2.2: PDF and PNG uploads are archived under harmless names with their SHA-256, downloaded as sent, and audited")
    func uploadListDownload() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let caseID = try #require(try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                                    orgID: county.villageA)["caseId"] as? String)
            let pdf = try await upload(api, county.manager, caseID: caseID, Self.pdf, fileName: "低保申请书.pdf",
                                       materialKey: "application_form")
            #expect(pdf.status == .created, "\(String(decoding: pdf.body, as: UTF8.self))")
            #expect(pdf.string("fileName") == "低保申请书.pdf" && pdf.string("mediaType") == "application/pdf")
            #expect(pdf.object["byteCount"] as? Int == Self.pdf.count && pdf.string("materialKey") == "application_form")
            #expect(pdf.string("review") == "pending" && pdf.string("caseId") == caseID)
            let pdfID = try #require(pdf.string("id"))

            // A hostile name: the last component only, the real type's extension.
            let png = try await upload(api, county.manager, caseID: caseID, Self.png, contentType: "image/png",
                                       fileName: "../../etc/passwd.pdf")
            #expect(png.status == .created)
            let pngName = try #require(png.string("fileName"))
            #expect(pngName == "passwd.png" && Self.isHarmless(pngName, extension: "png"), "\(pngName)")
            #expect(png.string("mediaType") == "image/png")
            let pngID = try #require(png.string("id"))
            // Quotes, CR/LF and semicolons that could break a header are dropped; a PNG sent as
            // octet-stream under a .jpg name is judged by its bytes.
            let quoted = try await upload(api, county.manager, caseID: caseID, Self.pdf, fileName: "a\"b\r\nContent-Type: x;.pdf")
            #expect(quoted.status == .created)
            let quotedName = try #require(quoted.string("fileName"))
            #expect(Self.isHarmless(quotedName, extension: "pdf") && !quotedName.contains(";"), "\(quotedName)")
            let octet = try await upload(api, county.manager, caseID: caseID, Self.png, contentType: "application/octet-stream",
                                         fileName: "..\\scan.jpg")
            #expect(octet.status == .created && octet.string("fileName") == "scan.png" && octet.string("mediaType") == "image/png")

            // The list: upload order, SHA-256 of the bytes (computed here by PostgreSQL).
            let list = try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: county.manager)
            #expect(list.status == .ok)
            #expect(list.array.compactMap { $0["id"] as? String }.prefix(2) == [pdfID, pngID])
            #expect(list.array.count == 4)
            let pdfSHA = try await api.sha256Hex(Self.pdf)
            let pngSHA = try await api.sha256Hex(Self.png)
            #expect(list.array.first { $0["id"] as? String == pdfID }?["sha256"] as? String == pdfSHA)
            #expect(list.array.first { $0["id"] as? String == pngID }?["sha256"] as? String == pngSHA)

            // Download: the same bytes, the right type, an attachment with a harmless name; audited.
            try await checkDownloads(api, county.manager, caseID: caseID, pdfID: pdfID, pngID: pngID)

            // Audited: each upload and the listing.
            #expect(try await api.auditCount("material_uploaded") == 4)
            #expect(try await api.auditCount("material_uploaded", objectID: pdfID) == 1)
            #expect(try await api.auditCount("materials_listed", objectID: caseID) == 1)
            // And on the case's timeline, for staff.
            let events = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager).object["events"] as? [[String: Any]] ?? []
            #expect(events.filter { $0["action"] as? String == "material_uploaded" }.count == 4)
        }
    }

    /// Downloads both files: the same bytes, the real type, an attachment header with the
    /// harmless name; each download audited.
    private func checkDownloads(_ api: APITester, _ token: String, caseID: String, pdfID: String, pngID: String) async throws {
        let download = try await api.send(.get, "/api/v1/cases/\(caseID)/materials/\(pngID)/content", token: token)
        #expect(download.status == .ok)
        #expect(download.body == Self.png)
        #expect(download.headers[.contentType]?.hasPrefix("image/png") == true, "\(download.headers[.contentType] ?? "-")")
        let disposition = try #require(download.headers[.contentDisposition])
        #expect(download.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
        #expect(disposition.hasPrefix("attachment;"), "Content-Disposition: \(disposition)")
        #expect(disposition.contains("filename=\"material.png\""), "Content-Disposition: \(disposition)")
        #expect(disposition.contains("filename*=UTF-8''"), "Content-Disposition: \(disposition)")
        let encoded = disposition.components(separatedBy: "filename*=UTF-8''").last ?? ""
        #expect(encoded.removingPercentEncoding == "passwd.png", "Content-Disposition: \(disposition)")
        let pdfDownload = try await api.send(.get, "/api/v1/cases/\(caseID)/materials/\(pdfID)/content", token: token)
        #expect(pdfDownload.body == Self.pdf && pdfDownload.headers[.contentType]?.hasPrefix("application/pdf") == true)
        // A Chinese name travels percent-encoded in UTF-8 (RFC 6266/5987); the header stays ASCII.
        let pdfDisposition = pdfDownload.headers[.contentDisposition] ?? ""
        #expect(pdfDisposition.hasPrefix("attachment;") && pdfDisposition.allSatisfy(\.isASCII), "\(pdfDisposition)")
        #expect(pdfDisposition.components(separatedBy: "filename*=UTF-8''").last?.removingPercentEncoding == "低保申请书.pdf",
                "\(pdfDisposition)")
        #expect(try await api.auditCount("material_downloaded", objectID: pngID) == 1)
        #expect(try await api.auditCount("material_downloaded", objectID: pdfID) == 1)
    }

    @Test("§6.1.2.2: files judged by their bytes: text named .pdf, an empty body or an unknown material key answer 400; over 20 MB 413")
    func refusedUploads() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let caseID = try #require(try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                                    orgID: county.villageA)["caseId"] as? String)
            let refused: [(String, Data, String, String?, HTTPResponse.Status)] = [
                ("text named x.pdf", Data("hello, this is not a PDF\n".utf8), "application/pdf", nil, .badRequest),
                ("HTML named x.pdf", Data("<html><script>alert(1)</script></html>".utf8), "application/octet-stream", nil, .badRequest),
                ("empty", Data(), "application/pdf", nil, .badRequest),
                ("a JPEG signature before HTML", Data([0xFF, 0xD8, 0xFF]) + Data("<html><script>alert(1)</script></html>".utf8),
                 "image/jpeg", nil, .badRequest),
                ("a PNG signature alone", Self.png.prefix(8), "image/png", nil, .badRequest),
                ("a PDF cut short", Self.pdf.prefix(30), "application/pdf", nil, .badRequest),
                ("unknown material key", Self.pdf, "application/pdf", "no_such_material", .badRequest),
                ("over 20 MB", Data("%PDF-1.4\n".utf8) + Data(count: 20 * 1024 * 1024), "application/pdf", nil, HTTPResponse.Status(code: 413)),
            ]
            for (label, content, type, key, expected) in refused {
                let reply = try await upload(api, county.manager, caseID: caseID, content, contentType: type, fileName: "x.pdf",
                                             materialKey: key)
                #expect(reply.status == expected, "\(label): \(reply.status)")
                #expect(reply.isProblem, "\(label)")
            }
            let unknownCase = try await upload(api, county.manager, caseID: UUID().uuidString, Self.pdf)
            #expect(unknownCase.status == .notFound)
            #expect(try await api.ownerCount("SELECT count(*) FROM case_materials") == 0)
            #expect(try await api.auditCount("material_uploaded") == 0)
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: county.manager).array.isEmpty)
        }
    }

    @Test("§6.1.2.2: a file of exactly 20 MB is accepted")
    func twentyMegabytes() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let caseID = try #require(try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                                    orgID: county.villageA)["caseId"] as? String)
            let ending = Data("startxref\n9\n%%EOF\n".utf8)
            let content = Data("%PDF-1.4\n".utf8) + Data(count: 20 * 1024 * 1024 - 9 - ending.count) + ending
            let reply = try await upload(api, county.manager, caseID: caseID, content, fileName: "scan.pdf")
            #expect(reply.status == .created, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(reply.object["byteCount"] as? Int == 20 * 1024 * 1024)
        }
    }

    @Test("§6.1.3.2: a review needing correction must say why; the result is recorded and shown on the timeline")
    func review() async throws {
        try await APITester.run { api in
            let county = try await IntakeCounty.make(api)
            let caseID = try #require(try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                                    orgID: county.villageA)["caseId"] as? String)
            let materialID = try #require(try await upload(api, county.manager, caseID: caseID, Self.pdf, materialKey: "income_proof")
                .string("id"))
            let path = "/api/v1/cases/\(caseID)/materials/\(materialID)/review"
            for body: JSONBody in [["result": "needs_correction"], ["result": "needs_correction", "note": "  "], ["result": "rejected"],
                                        ["result": "approved"], ["result": "pending"]] {
                let reply = try await api.send(.put, path, token: county.manager, json: body)
                #expect(reply.status == .badRequest && reply.isProblem, "\(body)")
            }
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: county.manager).array.first?["review"] as? String == "pending")

            let corrected = try await api.send(.put, path, token: county.manager,
                                               json: ["result": "needs_correction", "note": "收入证明缺少单位盖章"])
            #expect(corrected.status == .ok)
            #expect(corrected.string("review") == "needs_correction" && corrected.string("reviewNote") == "收入证明缺少单位盖章")
            #expect(apiDate(corrected.object["reviewedAt"]) != nil)
            let listed = try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: county.manager).array.first
            #expect(listed?["review"] as? String == "needs_correction")
            let events = try await api.send(.get, "/api/v1/cases/\(caseID)", token: county.manager).object["events"] as? [[String: Any]] ?? []
            let reviewed = events.first { $0["action"] as? String == "material_reviewed" }
            #expect(reviewed?["reason"] as? String == "收入证明缺少单位盖章")
            #expect(reviewed?["visibleToApplicant"] as? Bool == true, "the applicant is told what to correct")
            let accepted = try await api.send(.put, path, token: county.manager, json: ["result": "accepted"])
            #expect(accepted.status == .ok && accepted.string("review") == "accepted")
            // A review cannot be taken back to pending.
            let undone = try await api.send(.put, path, token: county.manager, json: ["result": "pending"])
            #expect(undone.status == .badRequest && undone.isProblem)
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: county.manager).array.first?["review"] as? String == "accepted")
            #expect(try await api.auditCount("material_reviewed", objectID: materialID) == 2)
            let missing = try await api.send(.put, "/api/v1/cases/\(caseID)/materials/\(UUID().uuidString)/review", token: county.manager,
                                             json: ["result": "accepted"])
            #expect(missing.status == .notFound)
        }
    }

    @Test("§6.1.2.2: who cannot see the case gets 404 for its materials, and an auditor may not upload or review")
    func materialsFollowTheCase() async throws {
        try await APITester.run(counties: [(APITester.jiangyin, "江阴市"), (APITester.yixing, "宜兴市")]) { api in
            let county = try await IntakeCounty.make(api)
            let caseID = try #require(try await api.registerCreated(county.manager, windowID: county.countyWindow, itemID: county.dibao,
                                                                    orgID: county.villageA)["caseId"] as? String)
            let materialID = try #require(try await upload(api, county.manager, caseID: caseID, Self.pdf).string("id"))
            let villageB = try await api.createUser(county.manager, username: "ximen.agent", orgID: county.villageB,
                                                    roles: ["village_agent"]).token
            let yixing = try await api.signIn(county: APITester.yixing)
            for (who, token) in [("village B agent", villageB), ("another county's manager", yixing)] {
                let list = try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: token)
                #expect(list.status == .notFound && list.isProblem, "\(who) list")
                let download = try await api.send(.get, "/api/v1/cases/\(caseID)/materials/\(materialID)/content", token: token)
                #expect(download.body != Self.pdf, "\(who) download")
                #expect(download.status == .notFound && download.isProblem, "\(who) download: \(download.status)")
                let upload = try await upload(api, token, caseID: caseID, Self.png, contentType: "image/png")
                #expect(upload.status == .notFound, "\(who) upload")
                let review = try await api.send(.put, "/api/v1/cases/\(caseID)/materials/\(materialID)/review", token: token,
                                                json: ["result": "accepted"])
                #expect(review.status == .notFound, "\(who) review")
            }
            let auditor = try await api.createUser(county.manager, username: "audit.li", orgID: county.countyOrgID, roles: ["auditor"]).token
            #expect(try await api.send(.get, "/api/v1/cases/\(caseID)/materials", token: auditor).status == .ok)
            #expect(try await upload(api, auditor, caseID: caseID, Self.png, contentType: "image/png").status == .forbidden)
            let review = try await api.send(.put, "/api/v1/cases/\(caseID)/materials/\(materialID)/review", token: auditor,
                                            json: ["result": "accepted"])
            #expect(review.status == .forbidden)
            // Nor read the scans: they are the applicant's personal data, unmasked.
            let content = try await api.send(.get, "/api/v1/cases/\(caseID)/materials/\(materialID)/content", token: auditor)
            #expect(content.status == .forbidden && content.isProblem)
            #expect(try await upload(api, "rl_nonsense", caseID: caseID, Self.png, contentType: "image/png").status == .unauthorized)

            #expect(try await api.ownerCount("SELECT count(*) FROM case_materials") == 1)
            #expect(try await api.ownerCount("SELECT count(*) FROM case_materials WHERE review = 'pending'") == 1)
            #expect(try await api.auditCount("material_downloaded") == 0)
        }
    }
}
