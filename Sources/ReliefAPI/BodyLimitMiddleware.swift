import Hummingbird

/// Refuses a JSON request body larger than `limit` with 413 problem+json, before anything
/// reads it. (Material uploads, with their own 20 MB limit, come with the intake issue.)
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
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
        Problem(type: Problem.base + "payload-too-large", title: "请求内容过大", status: 413,
                detail: "请求体不能超过 \(limit / 1024) KB。")
    }
}
