import ReliefStore
import Synchronization

/// Who sent the request being handled, as the authentication middleware found it. The
/// generated handlers see no Hummingbird context, so it travels as a task-local value.
struct RequestIdentity: Sendable {
    /// The signed-in user, or nil for an anonymous request.
    var context: TenantContext?
    /// The credential presented, to sign out with.
    var token: String?
    var clientAddress: String?
    /// Cookies an operation wants set. The generated code would percent-encode a Set-Cookie
    /// header, so the authentication middleware writes them onto the response itself.
    var cookies = CookieJar()

    @TaskLocal static var current = RequestIdentity()
}

final class CookieJar: Sendable {
    private let values = Mutex<[String]>([])
    func set(_ cookie: String) { values.withLock { $0.append(cookie) } }
    var all: [String] { values.withLock { $0 } }
}
