import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the address the request came
/// from, which the per-client rate limit and the audit log key on. Read once, when the request
/// arrives: it is the TCP peer, never a header a client could write.
public struct ReliefRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
