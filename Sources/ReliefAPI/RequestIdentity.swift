import HTTPTypes
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
    /// Header fields an operation wants on its response that the generated code would
    /// percent-encode (Set-Cookie, Content-Disposition); the authentication middleware
    /// writes them onto the response itself.
    var responseHeaders = ResponseHeaderJar()

    @TaskLocal static var current = RequestIdentity()
}

final class ResponseHeaderJar: Sendable {
    private let fields = Mutex<[HTTPField]>([])
    func add(_ name: HTTPField.Name, _ value: String) { fields.withLock { $0.append(HTTPField(name: name, value: value)) } }
    func setCookie(_ cookie: String) { add(.setCookie, cookie) }
    var all: [HTTPField] { fields.withLock { $0 } }
}
