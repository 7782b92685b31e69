import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReliefStore

/// A JSON POST signed the way the 12345 platform signs its pushes to us: HMAC-SHA-256 under a
/// shared secret over `timestamp + "." + body`, in `X-…-Timestamp` and `X-…-Signature`.
struct SignedPost: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount

    init(client: HTTPClient, timeout: TimeAmount = .seconds(15)) {
        self.client = client
        self.timeout = timeout
    }

    /// Posts `body`; answers a line for the record. 2xx is delivered; 408, 429 and 5xx and
    /// network errors may be retried; any other status is the receiver refusing the message.
    func post(_ body: Data, to url: String, secret: String?, headerPrefix: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(name: "User-Agent", value: "ReliefLink")
        if let secret {
            let timestamp = String(Int64(Date().timeIntervalSince1970))
            request.headers.add(name: "\(headerPrefix)-Timestamp", value: timestamp)
            request.headers.add(name: "\(headerPrefix)-Signature", value: HotlineSignature.sign(secret: secret, timestamp: timestamp, body: body))
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw DeliveryError("POST \(Self.redacted(url)) failed: \(error)", retryable: true)
        }
        let reply = (try? await response.body.collect(upTo: 16 * 1024)).map { String(buffer: $0) } ?? ""
        let status = response.status.code
        if (200..<300).contains(status) { return "HTTP \(status)" }
        let detail = "HTTP \(status) from \(Self.redacted(url)): \(reply.prefix(300))"
        throw DeliveryError(detail, retryable: status == 408 || status == 429 || status >= 500)
    }

    /// The URL without its query string, which may carry a gateway's token.
    static func redacted(_ url: String) -> String {
        String(url.split(separator: "?", maxSplits: 1).first ?? "")
    }
}
