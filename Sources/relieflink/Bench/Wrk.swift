import ArgumentParser
import Foundation
import Subprocess
import SystemPackage

/// wrk (Debian's `wrk`), the HTTP load generator `bench intake` drives the API with: a C client
/// in a process of its own, so the machine's cores go to the server and PostgreSQL, as
/// pgbench's lean client leaves them to PostgreSQL in the reference.
struct Wrk {
    let executable: URL

    /// wrk on the PATH or in the usual places; nil when the machine has none.
    static func locate() -> Wrk? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return directories.lazy.map { URL(fileURLWithPath: $0).appending(path: "wrk") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
            .map(Wrk.init(executable:))
    }

    struct Result {
        var requests: Int
        var seconds: Double
        /// Answers other than 2xx/3xx, and connections that failed, read or wrote badly or timed out.
        var errors: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double

        var rate: Double { Double(requests) / seconds }
    }

    /// Runs `script` (Lua) against `url` from `clients` keep-alive connections for `seconds`.
    func run(url: String, script: URL, clients: Int, seconds: Double) async throws -> Result {
        let threads = min(clients, ProcessInfo.processInfo.activeProcessorCount)
        let result = try await Subprocess.run(
            .path(FilePath(executable.path)),
            arguments: ["-t", "\(threads)", "-c", "\(clients)", "-d", "\(Int(seconds.rounded(.up)))s", "--timeout", "30s",
                        "-s", script.path, url],
            input: .none, output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        let output = result.standardOutput
        // The script's done() prints: RESULT requests duration_us errors p50_us p99_us
        guard case .exited(0) = result.terminationStatus,
              let line = output.split(separator: "\n").last(where: { $0.hasPrefix("RESULT ") }) else {
            throw ValidationError("wrk failed (\(result.terminationStatus)): \(output)\(result.standardError)")
        }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count == 5, fields[1] > 0 else { throw ValidationError("wrk printed an unreadable result: \(line)") }
        return Result(requests: Int(fields[0]), seconds: fields[1] / 1_000_000, errors: Int(fields[2]),
                      p50Milliseconds: fields[3] / 1000, p99Milliseconds: fields[4] / 1000)
    }
}

extension Wrk {
    /// A wrk script posting online applications, each from a new applicant with a valid
    /// resident id number (GB 11643's check character), and printing the result for `run`.
    static func onlineApplicationsScript(countyCode: String, placeCode: String, itemCodes: [String]) -> String {
        let items = itemCodes.map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            local items = {\(items)}
            local surnames = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"}
            local given = {"秀英", "桂英", "建国", "国强", "志明", "玉兰", "明", "伟", "芳", "娟", "海燕", "建华"}
            local weights = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
            local checks = {"1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"}
            local threads = 0
            local headers = {["Content-Type"] = "application/json"}

            function setup(thread)
                threads = threads + 1
                thread:set("seed", threads)
            end

            function init(args)
                math.randomseed(os.time() * 100 + (seed or 0))
            end

            function request()
                local first17 = string.format("320281%04d%02d%02d%03d", math.random(1935, 2012), math.random(1, 12),
                                              math.random(1, 28), math.random(1, 999))
                local sum = 0
                for i = 1, 17 do sum = sum + (first17:byte(i) - 48) * weights[i] end
                local body = string.format(
                    '{"county":"\(countyCode)","itemCode":"%s","placeCode":"\(placeCode)","applicant":{"name":"%s%s","idNumber":"%s","phone":"13%09d"},"description":"基准测试申请：家庭生活困难，申请救助。"}',
                    items[math.random(#items)], surnames[math.random(#surnames)], given[math.random(#given)],
                    first17 .. checks[sum % 11 + 1], math.random(0, 999999999))
                return wrk.format("POST", nil, headers, body)
            end

            \(resultFunction)
            """
    }

    /// A wrk script that sends wrk's own request (a GET of the URL) and prints the result.
    static let plainScript = resultFunction

    /// What `run` reads: RESULT requests duration_us errors p50_us p99_us.
    private static let resultFunction = """
        function done(summary, latency, requests)
            local e = summary.errors
            io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
                                   e.connect + e.read + e.write + e.status + e.timeout,
                                   latency:percentile(50), latency:percentile(99)))
        end
        """
}
