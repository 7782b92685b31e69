import Hummingbird

/// A path no operation serves answers 404 problem+json, as every other error does, naming what
/// was asked for: not the router's empty 404, which a client cannot tell from a lost proxy.
struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Problem(type: Problem.notFound.type, title: Problem.notFound.title, status: 404,
                           detail: "没有这个接口：\(request.method) \(request.uri.path)（接口说明见 /openapi.yaml）").response
        }
    }
}
