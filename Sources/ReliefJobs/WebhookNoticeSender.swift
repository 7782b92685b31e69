import AsyncHTTPClient
import Foundation

/// Sends applicant notices to an SMS gateway: a signed JSON POST of
/// `{reference, caseNumber, phone, text}` (headers `X-ReliefLink-Timestamp`/`-Signature`).
public struct WebhookNoticeSender: NoticeSender {
    let url: String
    let secret: String?
    let post: SignedPost

    public init(url: String, secret: String?, client: HTTPClient) {
        self.url = url
        self.secret = secret
        self.post = SignedPost(client: client)
    }

    public func send(_ notice: ApplicantNotice) async throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode([
            "reference": notice.reference, "caseNumber": notice.caseNumber, "phone": notice.phone, "text": notice.text,
        ])
        return try await post.post(body, to: url, secret: secret, headerPrefix: "X-ReliefLink")
    }
}
