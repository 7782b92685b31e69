import Foundation
import Testing

/// What an operator gets wrong — a value that does not parse, a typo in the database URL —
/// is refused at once, saying what and where, and never prints a password.
@Suite("relieflink refuses bad configuration clearly")
struct OperatorMistakesTests {
    @Test("an environment value that does not parse or is out of range is refused naming the variable, not replaced by the default",
          arguments: [
              (["serve"], "RELIEFLINK_PORT", "abc"), (["serve"], "RELIEFLINK_PORT", "99999"),
              (["serve"], "RELIEFLINK_SECURE_COOKIES", "bogus"), (["serve"], "RELIEFLINK_PUBLIC_RATE_LIMIT", "-5"),
              (["migrate"], "DATABASE_POOL_SIZE", "abc"), (["migrate"], "DATABASE_STATEMENT_TIMEOUT", "-1"),
              (["jobs", "run"], "RELIEFLINK_JOBS_SHUTDOWN_GRACE", "soon"),
          ])
    func badEnvironmentValue(command: [String], variable: String, value: String) async throws {
        let result = try await relieflink(command, environment: [variable: value])
        #expect(result.status == .exited(64), "\(result.error)")
        #expect(result.error.contains(variable) && result.error.contains(value), "\(result.error)")
    }

    @Test("bad flag values are refused too: a port out of range, a negative number of demo applications")
    func badFlags() async throws {
        for arguments in [["serve", "--port", "99999"], ["serve", "--pool-size", "0"], ["demo", "--applications=-1"]] {
            let result = try await relieflink(arguments)
            #expect(result.status == .exited(64), "\(arguments): \(result.error)")
            #expect(!result.error.contains("Swift runtime failure"), "\(arguments)")
        }
    }

    @Test("a notice file in a missing folder or that is a folder, an SMS gateway that is no URL or has no secret, a PostgreSQL folder without PostgreSQL: refused at start")
    func badPaths() async throws {
        let emptyFolder = FileManager.default.temporaryDirectory.appending(path: "no-postgres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: emptyFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: emptyFolder) }
        let cases: [([String], [String: String], String)] = [
            (["jobs", "run", "--notice-file", "/nonexistent/folder/notices.jsonl"], [:], "/nonexistent/folder"),
            (["jobs", "run", "--notice-file", emptyFolder.path], [:], "is a folder"),
            (["jobs", "run", "--sms-webhook-url", "not a url"], [:], "SMS gateway"),
            (["jobs", "run", "--sms-webhook-url", "http://127.0.0.1:18620/sms"], ["RELIEFLINK_SMS_WEBHOOK_SECRET": ""], "RELIEFLINK_SMS_WEBHOOK_SECRET"),
            (["demo"], ["RELIEFLINK_PG_BINDIR": emptyFolder.path], "RELIEFLINK_PG_BINDIR"),
        ]
        for (arguments, environment, named) in cases {
            let result = try await relieflink(arguments, environment: environment)
            #expect(result.status != .exited(0), "\(arguments)")
            #expect(result.error.contains(named), "\(arguments): \(result.error)")
        }
    }

    @Test("serve stops at once on a database it cannot use, naming the target and never the password",
          arguments: ["postgresql://web:s3cret-pw@127.0.0.1:1/relief?connect_timeout=2", "pgsql://web:s3cret-pw@127.0.0.1:1/relief"])
    func serveWithoutDatabase(url: String) async throws {
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let result = try await relieflink(["serve", "--port", "18099"], environment: [
            "DATABASE_URL": url, "RELIEFLINK_DATA_KEYS": "k1:\(key)", "RELIEFLINK_LOOKUP_KEY": key, "LOG_LEVEL": "warning",
        ])
        #expect(result.status == .exited(1), "\(result.error)")
        #expect(result.error.contains("cannot use the database"), "\(result.error)")
        #expect(!result.error.contains("s3cret-pw") && !result.output.contains("s3cret-pw"), "\(result.error)")

        // With JSON logs, why it stopped is a JSON line too, for the log collector.
        let json = try await relieflink(["serve", "--port", "18099"], environment: [
            "DATABASE_URL": url, "RELIEFLINK_DATA_KEYS": "k1:\(key)", "RELIEFLINK_LOOKUP_KEY": key, "LOG_FORMAT": "json",
        ])
        let last = try #require(json.error.split(separator: "\n").last.map { Data($0.utf8) })
        let record = try JSONSerialization.jsonObject(with: last) as? [String: Any]
        #expect(record?["level"] as? String == "critical" && (record?["message"] as? String)?.contains("cannot use the database") == true,
                "\(json.error)")
    }
}
