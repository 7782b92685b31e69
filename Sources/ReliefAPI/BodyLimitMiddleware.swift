import Hummingbird

/// Refuses a request body larger than allowed with 413 problem+json, before anything reads
/// it: `limit` for JSON, `uploadLimit` for material uploads (`POST …/materials`), whose
/// bytes go to the store as they are.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let uploadLimit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let isUpload = request.method == .post && request.uri.path.hasSuffix("/materials")
        let limit = isUpload ? uploadLimit : self.limit
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            return Self.tooLarge(limit).response
        }
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch {
            return Self.tooLarge(limit).response
        }
        return try await next(request, context)
    }

    static func tooLarge(_ limit: Int) -> Problem {
        Problem(type: Problem.payloadTooLarge.type, title: Problem.payloadTooLarge.title, status: 413,
                detail: limit >= 1024 * 1024 ? "文件不能超过 \(limit / 1024 / 1024) MB。" : "请求体不能超过 \(limit / 1024) KB。")
    }
}
