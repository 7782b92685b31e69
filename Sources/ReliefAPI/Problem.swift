import Foundation
import Hummingbird

/// RFC 9457 problem details: a stable `type`, a Chinese `title`, the status and a detail.
struct Problem: Sendable {
    let type: String
    let title: String
    let status: Int
    var detail: String?

    static let base = "https://relieflink.example/problems/"

    static let unauthorized = Problem(type: base + "unauthorized", title: "未登录或登录已失效", status: 401,
                                      detail: "请先登录，或重新登录。")
    static let invalidCredentials = Problem(type: base + "invalid-credentials", title: "用户名或密码错误", status: 401,
                                            detail: "县（市、区）代码、用户名或密码不正确。")
    static func locked(until: Date) -> Problem {
        Problem(type: base + "account-locked", title: "账号已暂时锁定", status: 423,
                detail: "连续登录失败次数过多，请于 \(until.formatted(.iso8601)) 后再试。")
    }
    static func invalid(_ detail: String) -> Problem {
        Problem(type: base + "invalid-request", title: "请求内容有误", status: 400, detail: detail)
    }
    static let unavailable = Problem(type: base + "unavailable", title: "服务暂时不可用", status: 503,
                                     detail: "数据库暂时无法访问，请稍后再试。")
    static let internalError = Problem(type: base + "internal", title: "服务器内部错误", status: 500,
                                       detail: "请求未能完成，已记录，请稍后再试。")

    var schema: Components.Schemas.Problem {
        .init(_type: type, title: title, status: status, detail: detail)
    }

    /// The same problem as a plain Hummingbird response, for middleware.
    var response: Response {
        let body = (try? JSONEncoder().encode(schema)) ?? Data()
        return Response(
            status: .init(code: status),
            headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
