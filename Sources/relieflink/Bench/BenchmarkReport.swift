import Foundation

/// A benchmark's figures: ours beside a reference measured in the same run.
struct BenchmarkReport: Encodable {
    struct Row: Encodable {
        let name: String
        let unit: String
        let ours: Double
        let reference: Double?
        /// ours / reference, so above 1 means faster (for rates).
        let ratio: Double?

        init(name: String, unit: String, ours: Double, reference: Double?) {
            self.name = name
            self.unit = unit
            self.ours = ours
            self.reference = reference
            ratio = reference.flatMap { $0 > 0 ? ours / $0 : nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(unit, forKey: .unit)
            try container.encode(ours, forKey: .ours)
            // Present as null, not left out, where there is no reference.
            try container.encode(reference, forKey: .reference)
            try container.encode(ratio, forKey: .ratio)
        }

        enum CodingKeys: String, CodingKey { case name, unit, ours, reference, ratio }
    }

    let benchmark: String
    var rows: [Row] = []

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func table(referenceName: String) -> String {
        let nameWidth = max(4, rows.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        // Three significant figures at least: sub-millisecond latencies would read 0.4 against 0.4.
        func number(_ value: Double?) -> String {
            value.map { String(format: abs($0) < 10 ? "%.3f" : "%.1f", $0) } ?? "—"
        }
        var lines = [pad("name", nameWidth) + "  " + pad("unit", 6) + "  " + pad("ours", 10) + "  " + pad(referenceName, 10) + "  ratio"]
        for row in rows {
            lines.append(pad(row.name, nameWidth) + "  " + pad(row.unit, 6) + "  " + pad(number(row.ours), 10) + "  "
                + pad(number(row.reference), 10) + "  " + (row.ratio.map { String(format: "%.2f×", $0) } ?? "—"))
        }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// The middle value (the mean of the two middle ones for an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
