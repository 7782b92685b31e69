import Foundation

/// A message to an applicant: rejection reasons, what to bring and where, the outcome (§5.2,
/// §5.4, §5.6). `reference` is the outbox row: a gateway that sees it twice can drop the repeat
/// (delivery is at least once).
public struct ApplicantNotice: Sendable, Equatable {
    public let countyID: UUID
    public let reference: String
    public let caseNumber: String
    public let phone: String
    public let text: String

    public init(countyID: UUID, reference: String, caseNumber: String, phone: String, text: String) {
        self.countyID = countyID
        self.reference = reference
        self.caseNumber = caseNumber
        self.phone = phone
        self.text = text
    }
}

/// Where applicant notices go. The default writes them to a file or the log; an SMS gateway
/// is reached through `WebhookNoticeSender`.
public protocol NoticeSender: Sendable {
    /// Delivers the notice and answers a line for the record (e.g. the gateway's message id).
    /// Throws `DeliveryError` when it did not.
    func send(_ notice: ApplicantNotice) async throws -> String
}

/// Why a delivery did not happen, and whether trying again can help.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// false: the receiver refused the message itself (4xx): retrying sends the same refusal.
    public let retryable: Bool

    public init(_ description: String, retryable: Bool) {
        self.description = description
        self.retryable = retryable
    }
}
