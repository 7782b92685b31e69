import HTTPTypes
import Logging
import OpenAPIRuntime
import Postgres
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
        } catch let error as ServerError where Self.inputProblem(error.underlyingError) != nil {
            return Self.respond(Self.inputProblem(error.underlyingError)!)
        } catch let error as ServerError where Self.isDatabaseUnavailable(error.underlyingError) {
            logger.warning("database unavailable", metadata: ["operation": "\(operationID)", "error": "\(error.underlyingError)"])
            return Self.respond(.unavailable)
        } catch let error as ServerError where error.isRequestDecoding {
            return Self.respond(.invalid("请求不符合本接口的要求：\(error.inputFault)"))
        } catch {
            // The underlying error only: a ServerError's description repeats the request's
            // headers, bearer token included, which must never reach a log.
            let cause = (error as? ServerError).map { "\($0.underlyingError)" } ?? "\(error)"
            logger.error("request failed", metadata: ["operation": "\(operationID)", "error": "\(cause)"])
            return Self.respond(.internalError)
        }
    }

    /// What the database refused because of the input, as a 4xx: a last line behind the
    /// repositories' own checks, so that no input can answer 5xx.
    static func inputProblem(_ error: any Error) -> Problem? {
        if case PostgresError.nulInText = error { return .invalid("文本中不能包含空字符（U+0000）") }
        guard let error = error as? PostgresServerError else { return nil }
        switch error.code {
        case .uniqueViolation: return .conflict("与已有记录重复")
        case .foreignKeyViolation: return .invalid("引用的记录不存在")
        case .checkViolation, .notNullViolation: return .invalid("有字段的值不符合要求")
        // Row-level security refused a write outside the user's area.
        case .insufficientPrivilege: return .forbidden("超出您所在机构的辖区，不能办理")
        default: return error.code.errorClass == "22" ? .invalid("有字段的值格式不正确或超出范围") : nil
        }
    }

    /// The database cannot be reached, is restarting or is too busy to answer in time (a
    /// statement past its time-out, no connection free in time): a passing condition, 503
    /// with `Retry-After`, not a bug.
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        if case PostgresError.statementTimeout = error { return true }
        if let error = error as? PostgresError { return error.isConnectionError }
        if case ConnectionPoolError.timedOut = error { return true }
        if let error = error as? PostgresServerError { return ["57", "08"].contains(error.code.errorClass) }
        return false
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
    /// What is wrong with the input, in words for whoever wrote the request: the field and
    /// what it should be, not the decoder's English.
    var inputFault: String {
        if causeDescription.contains("content type") {
            return "请求的 Content-Type 不对，本接口要求 \(request.method == .post && request.path?.hasSuffix("/materials") == true ? "文件本身（application/octet-stream 等）" : "application/json")"
        }
        let parameters = "路径或查询参数的值不符合要求（类型、格式或取值范围），接口说明见 /openapi.yaml"
        // Without a body, what could not be read is a path or query parameter.
        if [.get, .head, .delete].contains(request.method) { return parameters }
        let length = request.headerFields[.contentLength]
        if requestBody == nil || (length == nil || length == "0") && request.headerFields[.transferEncoding] == nil { return parameters }
        guard let decoding = underlyingError as? DecodingError else { return causeDescription }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch decoding {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "缺少字段 \(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)"
        case .valueNotFound(_, let context):
            return "字段 \(path(context)) 不能为 null"
        // Nothing named: the body as a whole, or a path or query parameter (their decoder
        // names no field either).
        case .typeMismatch(let type, let context):
            return path(context).isEmpty ? "请求体应为JSON\(Self.kind(of: type))，或\(parameters)" : "字段 \(path(context)) 的类型不对，应为\(Self.kind(of: type))"
        case .dataCorrupted(let context):
            let field = path(context)
            // Foundation's decoder reports an integer field given a fraction or an out-of-range
            // number this way too, without naming the field.
            return field.isEmpty ? "请求体不是有效的 JSON（或有整数字段的值带小数、超出范围），或\(parameters)" : "字段 \(field) 的值不符合要求（类型、格式或取值范围）"
        @unknown default:
            return causeDescription
        }
    }

    private static func kind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "字符串"
        case is Int.Type, is Int32.Type, is Int64.Type: "整数"
        case is Double.Type, is Float.Type: "数字"
        case is Bool.Type: "布尔值"
        default:
            "\(type)".contains("Array") ? "数组" : "对象"
        }
    }

    /// The request could not be read as the operation's input (bad JSON, wrong types, missing
    /// fields, an unknown enum value, a wrong content type).
    var isRequestDecoding: Bool {
        underlyingError is DecodingError || causeDescription.contains("content type")
            || causeDescription.contains("decod") || causeDescription.contains("Decod")
    }
}

import Foundation
