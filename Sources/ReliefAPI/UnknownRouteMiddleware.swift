import HTTPTypes
import Hummingbird
import Synchronization

/// A request no operation serves answers problem+json, as every other error does, naming what
/// was asked for: not the router's empty 404, which a client cannot tell from a lost proxy.
/// A path that is served, only not for this method, answers 405 with the methods it takes
/// (`Allow`, RFC 9110 §15.5.6).
struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: ServedRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(serving: request.uri.path)
            guard allowed.isEmpty else {
                let names = allowed.joined(separator: ", ")
                var response = Problem(type: Problem.base + "method-not-allowed", title: "不支持此请求方法", status: 405,
                                       detail: "接口 \(request.uri.path) 不支持 \(request.method)，可用：\(names)（接口说明见 /openapi.yaml）").response
                response.headers[.allow] = names
                return response
            }
            return Problem(type: Problem.notFound.type, title: Problem.notFound.title, status: 404,
                           detail: "没有这个接口：\(request.method) \(request.uri.path)（接口说明见 /openapi.yaml）").response
        }
    }
}

/// The paths the router serves and their methods, set once every route is registered (the
/// middleware that reads them is added before the routes).
final class ServedRoutes: Sendable {
    private let routes = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    func record(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) {
        self.routes.withLock { $0 = routes }
    }

    /// The names of the methods served at `path`, sorted; empty when no route matches it.
    func methods(serving path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let names = routes.withLock { routes in
            routes.filter { route in
                route.path.count == segments.count && zip(route.path, segments).allSatisfy { $0 ~= $1 }
            }.map { $0.method.rawValue }
        }
        return Set(names).sorted()
    }
}
