import Foundation
import Logging
import ReliefDomain
import Synchronization

/// The default sender, for a county without an SMS gateway yet and for development: appends
/// each notice as a JSON line to a file (or logs it), with the phone masked — the file is
/// a record that notices were produced, not a place to collect phone numbers.
public struct FileNoticeSender: NoticeSender {
    let path: String?
    let logger: Logger
    private let lock = FileLock()

    /// - Parameter path: the file to append to; nil logs each notice instead.
    public init(path: String?, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    public func send(_ notice: ApplicantNotice) async throws -> String {
        let record: [String: String] = [
            "at": ISO8601DateFormatter().string(from: Date()), "reference": notice.reference,
            "caseNumber": notice.caseNumber, "phone": Masking.phone(notice.phone), "text": notice.text,
        ]
        guard let path else {
            logger.info("applicant notice", metadata: record.mapValues { .string($0) })
            return "已记录到日志"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        do {
            try lock.append(line, to: path)
        } catch {
            throw DeliveryError("cannot write \(path): \(error)", retryable: true)
        }
        return "已写入通知文件"
    }
}

/// One writer at a time, so lines from concurrent jobs never interleave.
final class FileLock: Sendable {
    private let mutex = Mutex(())

    func append(_ data: Data, to path: String) throws {
        try mutex.withLock { _ in try Self.write(data, to: path) }
    }

    private static func write(_ data: Data, to path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission)
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}
