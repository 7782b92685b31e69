import Foundation
import Logging
import ReliefJobs
import ReliefStore
import Testing

/// The default notice sender (no SMS gateway yet): one JSON line per notice, the phone masked
/// — the file records that notices were produced, it never collects phone numbers.
@Suite("Applicant notices to a file")
struct FileNoticeSenderTests {
    static func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appending(path: "notices-\(UUID().uuidString).jsonl").path
    }

    static func lines(_ path: String) throws -> [[String: String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String] ?? ["unparsable": String(line)]
        }
    }

    @Test("through the runner: a rejection's notice is one JSON line with the case number, the text and 138****1234, never the full phone",
          .timeLimit(.minutes(2)))
    func throughTheRunner() async throws {
        try await JobsWorld.run { try await Self.throughTheRunner($0) }
    }

    static func throughTheRunner(_ world: JobsWorld) async throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let receipt = try await world.file(21)
        try await world.reject(receipt.caseID, reason: "不符合低保条件")
        try await RunningJobs.with(world, .init(noticeFile: path)) { _ in
            let delivered = try await world.waitForOutcomes(receipt.caseID)
            #expect(delivered, "no outcome within 30 s")
        }
        let records = try lines(path)
        #expect(records.count == 1, "\(records)")
        #expect(records.first?["phone"] == "138****1234")
        #expect(records.first?["caseNumber"] == receipt.caseNumber)
        #expect(records.first?["text"]?.contains("不符合低保条件") == true)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains(JobsWorld.phone))
        #expect(try await world.outbox(receipt.caseID, kind: "applicant_notice").map(\.outcome) == ["delivered"])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("40 notices sent at once: 40 whole lines, each phone masked")
    func concurrentLines() async throws {
        let path = Self.temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sender = FileNoticeSender(path: path, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<40 { group.addTask { try await sender.send(Self.notice(n)) } }
            for try await answer in group { #expect(answer == "已写入通知文件") }
        }
        let records = try Self.lines(path)
        #expect(records.count == 40)
        #expect(Set(records.compactMap { $0["reference"] }).count == 40)
        #expect(records.allSatisfy { $0["phone"]?.hasPrefix("139****") == true && $0["phone"]?.count == 11 }, "\(records.prefix(3))")
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("1390000"))
    }

    static func notice(_ n: Int) -> ApplicantNotice {
        ApplicantNotice(countyID: UUID(), reference: "outbox-\(n)", caseNumber: "JY2026\(n)",
                        phone: "1390000" + String(format: "%04d", n), text: "您的申请已受理（\(n)）/ 请留意短信。")
    }
}
