import Foundation
import HTTPTypes
import Hummingbird
import ReliefStore

/// Who a 12345 push was verified for, as `HotlineSignatureMiddleware` found it; the push
/// operation accepts nothing without it.
enum VerifiedHotlinePush {
    @TaskLocal static var countyID: UUID?
}

/// Checks a 12345 push's signature over the exact bytes received (§5.1.3), before the
/// generated code decodes them: HMAC-SHA-256 under the county's secret over
/// `timestamp + "." + body`, the timestamp within five minutes.
struct HotlineSignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    let integration: HotlineIntegration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let parts = request.uri.path.split(separator: "/")
        guard request.method == .post, parts.count == 5, parts[0] == "api", parts[1] == "v1", parts[2] == "hotline",
              parts[4] == "orders" else {
            return try await next(request, context)
        }
        guard let county = try await integration.store.county(code: String(parts[3])) else { return Problem.notFound.response }
        var request = request
        let body = try await request.collectBody(upTo: HTTPServer.maximumJSONBody)
        let timestamp = request.headers[HTTPField.Name("X-Hotline-Timestamp")!] ?? ""
        let signature = request.headers[HTTPField.Name("X-Hotline-Signature")!] ?? ""
        guard try await integration.verifyPush(countyID: county.id, timestamp: timestamp, signature: signature,
                                               body: Data(buffer: body)) else {
            context.logger.warning("12345 push refused: bad signature or timestamp", metadata: ["county": "\(parts[3])"])
            return Problem.invalidSignature.response
        }
        return try await VerifiedHotlinePush.$countyID.withValue(county.id) {
            try await next(request, context)
        }
    }
}
