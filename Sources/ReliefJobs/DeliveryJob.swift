import AsyncHTTPClient
import Foundation
import JobQueue
import ReliefStore

/// Delivers one outbox row: an applicant notice through the notice sender, or a 12345 status
/// callback as a signed POST to the county's callback URL. The outcome is written on the row
/// and on the case's timeline once; a row that was delivered (or skipped) is left alone, so a
/// job run twice (its runner died after sending) records nothing twice. A row that failed is
/// tried again when its job runs again: staff retried it (`jobs retry`, the API).
struct DeliveryJob: Sendable {
    let deliveries: Deliveries
    let notices: any NoticeSender
    let callbacks: SignedPost

    func run(_ job: Job) async throws -> JobOutcome {
        let payload = try job.decode(Deliveries.JobPayload.self)
        guard let item = try await deliveries.item(countyID: payload.countyID, outboxID: payload.outboxID) else {
            throw PermanentJobFailure("outbox row \(payload.outboxID) does not exist")
        }
        guard item.outcome == nil || item.outcome == .failed else { return .done }
        do {
            switch item.kind {
            case .applicantNotice: try await deliverNotice(item)
            case .hotlineCallback: try await deliverCallback(item)
            }
            return .done
        } catch let error as DeliveryError {
            let final = !error.retryable || job.attempt >= job.maxAttempts
            if final {
                try await deliveries.record(item, outcome: .failed, detail: error.description)
                throw PermanentJobFailure(error.description)
            }
            try await deliveries.recordAttempt(item, error: error.description)
            throw error
        }
    }

    private func deliverNotice(_ item: Deliveries.Item) async throws {
        guard let phone = item.phone, !phone.isEmpty else {
            try await deliveries.record(item, outcome: .skipped, detail: "申请人未留联系电话")
            return
        }
        let notice = ApplicantNotice(countyID: item.countyID, reference: "outbox-\(item.outboxID)",
                                     caseNumber: item.payload["caseNumber"] ?? "", phone: phone, text: item.payload["text"] ?? "")
        let detail = try await notices.send(notice)
        try await deliveries.record(item, outcome: .delivered, detail: detail)
    }

    private func deliverCallback(_ item: Deliveries.Item) async throws {
        guard let url = item.callbackURL else {
            try await deliveries.record(item, outcome: .skipped, detail: "未设置12345回调地址")
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var message = item.payload
        message["reference"] = "outbox-\(item.outboxID)"
        let body = try encoder.encode(message)
        let detail = try await callbacks.post(body, to: url, secret: item.callbackSecret, headerPrefix: "X-Hotline")
        try await deliveries.record(item, outcome: .delivered, detail: detail)
    }
}
