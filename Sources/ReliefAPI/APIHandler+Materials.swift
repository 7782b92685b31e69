import Foundation
import HTTPTypes
import OpenAPIRuntime
import ReliefDomain
import ReliefStore

/// The materials archive (§6.1.2.2).
extension APIHandler {
    private var materials: Materials { Materials(store: store) }

    func uploadMaterial(_ input: Operations.UploadMaterial.Input) async throws -> Operations.UploadMaterial.Output {
        let context = try signedIn()
        let caseID = try pathID(input.path.caseId)
        let body: HTTPBody = switch input.body {
        case .pdf(let body), .jpeg(let body), .png(let body), .binary(let body): body
        }
        let content: Data
        do {
            content = try await Data(collecting: body, upTo: MaterialFile.maximumBytes)
        } catch {
            // BodyLimitMiddleware refused larger bodies already; the runtime's own limit error is private.
            throw Problem.payloadTooLarge
        }
        let material = try await materials.upload(context, caseID: caseID, fileName: input.query.fileName,
                                                  materialKey: input.query.materialKey, content: content)
        return .created(.init(body: .json(Self.schema(material))))
    }

    func listMaterials(_ input: Operations.ListMaterials.Input) async throws -> Operations.ListMaterials.Output {
        let list = try await materials.list(try signedIn(), caseID: try pathID(input.path.caseId))
        return .ok(.init(body: .json(list.map(Self.schema))))
    }

    func downloadMaterial(_ input: Operations.DownloadMaterial.Input) async throws -> Operations.DownloadMaterial.Output {
        let download = try await materials.download(try signedIn(), caseID: try pathID(input.path.caseId),
                                                    id: try pathID(input.path.materialId))
        let body = HTTPBody(download.content)
        // The stored name is already harmless; RFC 5987 carries it in UTF-8, with an ASCII fallback.
        let encoded = download.material.fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let disposition = "attachment; filename=\"material.\(download.material.mediaType.fileExtension)\"; filename*=UTF-8''\(encoded)"
        RequestIdentity.current.responseHeaders.add(.contentDisposition, disposition)
        // A browser must take the file for the type it was checked to be, never guess another.
        RequestIdentity.current.responseHeaders.add(HTTPField.Name("X-Content-Type-Options")!, "nosniff")
        return switch download.material.mediaType {
        case .pdf: .ok(.init(body: .pdf(body)))
        case .jpeg: .ok(.init(body: .jpeg(body)))
        case .png: .ok(.init(body: .png(body)))
        }
    }

    func reviewMaterial(_ input: Operations.ReviewMaterial.Input) async throws -> Operations.ReviewMaterial.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        guard let result = Materials.Review(rawValue: body.result.rawValue) else { throw Problem.invalid("未知的审核结果") }
        let material = try await materials.review(context, caseID: try pathID(input.path.caseId), id: try pathID(input.path.materialId),
                                                  result: result, note: body.note)
        return .ok(.init(body: .json(Self.schema(material))))
    }

    static func schema(_ material: Materials.Material) -> Components.Schemas.Material {
        .init(id: material.id.lowercased, caseId: material.caseID.lowercased, materialKey: material.materialKey,
              fileName: material.fileName, mediaType: .init(rawValue: material.mediaType.rawValue) ?? .applicationPdf,
              byteCount: material.byteCount, sha256: material.sha256, uploadedAt: material.uploadedAt,
              review: .init(rawValue: material.review.rawValue) ?? .pending, reviewNote: material.reviewNote,
              reviewedAt: material.reviewedAt)
    }
}
