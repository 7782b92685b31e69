import Foundation
import Hummingbird
import ReliefStore

/// RFC 9457 problem details: a stable `type`, a Chinese `title`, the status and a detail.
///
/// Handlers answer success themselves and throw a `Problem` (or a `StoreFailure`, which maps
/// to one) for everything else; `ProblemMiddleware` writes it out. The contract still lists
/// each operation's 4xx answers.
struct Problem: Error, Sendable {
    let type: String
    let title: String
    let status: Int
    var detail: String?
    /// Sent as `Retry-After` with 429 and 503.
    var retryAfter: Int? = nil
    /// With 409 for a refused state change: the actions the current state allows.
    var allowedActions: [String]? = nil

    init(type: String, title: String, status: Int, detail: String? = nil, retryAfter: Int? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.retryAfter = retryAfter
    }

    init(_ failure: StoreFailure) {
        switch failure {
        case .forbidden(let why): self = .forbidden(why)
        case .notFound: self = .notFound
        case .invalid(let why): self = .invalid(why)
        case .conflict(let why): self = .conflict(why)
        case .tooManyRequests(let seconds): self = .tooManyRequests(retryAfter: seconds)
        case .notAllowed(let state, let action, let allowed):
            self = Problem(type: Problem.base + "action-not-allowed", title: "当前状态不允许此操作", status: 409,
                           detail: "“\(state)”状态下不能执行“\(action)”。"
                               + (allowed.isEmpty ? "此状态下没有可执行的操作。" : "可执行的操作：\(allowed.joined(separator: "、"))。"))
            allowedActions = allowed
        }
    }

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
    static let jsonBodyRequired = invalid("需要 JSON 请求体")
    static func forbidden(_ detail: String) -> Problem {
        Problem(type: base + "forbidden", title: "无权进行此操作", status: 403, detail: detail)
    }
    static let notFound = Problem(type: base + "not-found", title: "未找到", status: 404, detail: "本县（市、区）没有该记录，或您无权查看。")
    static func conflict(_ detail: String) -> Problem {
        Problem(type: base + "conflict", title: "与当前状态或已有记录冲突", status: 409, detail: detail)
    }
    static func tooManyRequests(retryAfter: Int) -> Problem {
        Problem(type: base + "too-many-requests", title: "请求过于频繁", status: 429, detail: "请于 \(retryAfter) 秒后再试。",
                retryAfter: retryAfter)
    }
    static let payloadTooLarge = Problem(type: base + "payload-too-large", title: "请求内容过大", status: 413,
                                         detail: "上传内容超过允许的大小。")
    static let unsupportedMediaType = Problem(type: base + "unsupported-media-type", title: "文件类型不支持", status: 415,
                                              detail: "只接受 PDF、JPEG 和 PNG 文件。")
    static let invalidSignature = Problem(type: base + "invalid-signature", title: "签名无效", status: 401,
                                          detail: "请求签名不正确、时间戳超出5分钟或本县未配置12345对接。")
    static let unavailable = Problem(type: base + "unavailable", title: "服务暂时不可用", status: 503,
                                     detail: "数据库暂时无法访问，请稍后再试。", retryAfter: 5)
    static let internalError = Problem(type: base + "internal", title: "服务器内部错误", status: 500,
                                       detail: "请求未能完成，已记录，请稍后再试。")

    var schema: Components.Schemas.Problem {
        .init(_type: type, title: title, status: status, detail: detail, allowedActions: allowedActions)
    }

    /// The same problem as a plain Hummingbird response, for middleware.
    var response: Response {
        let body = (try? JSONEncoder().encode(schema)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
