import HTTPTypes
import Logging
import OpenAPIRuntime
import ReliefStore

/// Turns what handlers throw into problem+json: a `Problem` or `StoreFailure` as it says, a
/// body that is not valid JSON for the operation (400), and any unexpected error (500,
/// logged, never with details).
struct ProblemMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError where error.underlyingError is Problem {
            return Self.respond(error.underlyingError as! Problem)
        } catch let error as ServerError where error.underlyingError is StoreFailure {
            return Self.respond(Problem(error.underlyingError as! StoreFailure))
        } catch let error as ServerError where error.isRequestDecoding {
            return Self.respond(.invalid("请求体不是本接口所需的 JSON：\(error.causeDescription)"))
        } catch {
            // The underlying error only: a ServerError's description repeats the request's
            // headers, bearer token included, which must never reach a log.
            let cause = (error as? ServerError).map { "\($0.underlyingError)" } ?? "\(error)"
            logger.error("request failed", metadata: ["operation": "\(operationID)", "error": "\(cause)"])
            return Self.respond(.internalError)
        }
    }

    static func respond(_ problem: Problem) -> (HTTPResponse, HTTPBody?) {
        var response = HTTPResponse(status: .init(code: problem.status))
        response.headerFields[.contentType] = "application/problem+json"
        if let seconds = problem.retryAfter { response.headerFields[.retryAfter] = String(seconds) }
        let body = (try? JSONEncoder().encode(problem.schema)) ?? Data()
        return (response, HTTPBody(body))
    }
}

extension ServerError {
    /// The request could not be read as the operation's input (bad JSON, wrong types, missing
    /// fields, an unknown enum value, a wrong content type).
    var isRequestDecoding: Bool {
        underlyingError is DecodingError || causeDescription.contains("content type")
            || causeDescription.contains("decod") || causeDescription.contains("Decod")
    }
}

import Foundation
