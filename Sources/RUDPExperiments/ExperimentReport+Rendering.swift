import RUDPCore
import RUDPImpairment
import RUDPSimulation

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ExperimentResult {
    /// `completed`, or why not.
    var status: String {
        if completed { return "completed" }
        if let closeReason { return "connection ended: \(closeReason)" }
        return "incomplete (\(messagesDelivered) of \(messagesOffered) messages delivered by the time limit)"
    }

    /// The trace digest as 16 hex digits.
    var digestHex: String {
        let hex = String(traceDigest, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}

extension ExperimentReport {
    // MARK: - Table

    /// The report for a terminal: the settings, the timeline, one row per run, and (for a single
    /// run with a timeline, or when `showsIntervals`) goodput per interval.
    public func table(showsIntervals: Bool = false) -> String {
        var lines: [String] = []
        let title = base.name.map { "rudp simulate: scenario \($0)" } ?? "rudp simulate"
        lines.append("\(title), seed \(base.seed)")
        lines += wrap(fixedSettings.map { "\($0.name)=\($0.value)" }, width: 100, indent: "  ")
        if !timelineSummary.isEmpty {
            lines.append("timeline:")
            lines += timelineSummary.map { "  \($0)" }
        }
        if let reproduction { lines.append("reproduce: \(reproduction)") }
        lines.append("")

        let metrics = ExperimentMetric.all.filter { $0.heading != nil }
        var headings = metrics.map { $0.heading! }
        if let sweep { headings.insert(sweep.parameter.name, at: 0) }
        var rows: [[String]] = []
        for point in points {
            var row = metrics.map { metric in
                metric.value(point.result).map { Quantity.fixed($0, digits: metric.digits) + (metric.key == "link_share" ? "%" : "") }
                    ?? "-"
            }
            if sweep != nil { row.insert(point.label ?? "", at: 0) }
            rows.append(row)
        }
        lines += alignedColumns(headings: headings, rows: rows)

        var notes: [String] = []
        for point in points {
            let prefix = sweep.map { "\($0.parameter.name)=\(point.label ?? ""): " } ?? ""
            let r = point.result
            notes.append(
                prefix + "\(r.status); window \(Quantity.formatDuration(r.window)), "
                    + "\(r.messagesDelivered) messages (\(r.payloadBytesDelivered) B) delivered, "
                    + "header bound \(r.headerBound.map { Quantity.fixed($0 * 8 / 1e6, digits: 3) + " Mbit/s" } ?? "-"), "
                    + "digest \(r.digestHex)")
        }
        lines.append("")
        lines += notes

        if sweep == nil, let point = points.first, !base.timeline.isEmpty || showsIntervals {
            let r = point.result
            let seconds = Double(r.sampleInterval.nanosecondsClamped) / 1e9
            lines.append("")
            lines.append("goodput per \(Quantity.formatDuration(r.sampleInterval)):")
            var intervalRows: [[String]] = []
            for (index, bytes) in r.deliveredPerInterval.prefix(r.intervalsInWindow).enumerated() {
                let start = Quantity.trimmed(seconds * Double(index), digits: 3)
                let bound = r.boundPerInterval[index].map { Quantity.fixed($0 * 8 / 1e6, digits: 3) } ?? "-"
                intervalRows.append(["\(start)s", Quantity.fixed(Double(bytes) * 8 / 1e6 / seconds, digits: 3), bound])
            }
            lines += alignedColumns(headings: ["from", "goodput Mbit/s", "(1-loss)×rate"], rows: intervalRows).map { "  \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func alignedColumns(headings: [String], rows: [[String]]) -> [String] {
        var widths = headings.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { item in
                String(repeating: " ", count: widths[item.offset] - item.element.count) + item.element
            }.joined(separator: "  ")
        }
        return [render(headings)] + rows.map(render)
    }

    private func wrap(_ items: [String], width: Int, indent: String) -> [String] {
        var lines: [String] = []
        var current = indent
        for item in items {
            if current.count > indent.count, current.count + 1 + item.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + item
        }
        if current.count > indent.count { lines.append(current) }
        return lines
    }

    // MARK: - CSV

    /// One header line and one line per run: the swept value, every setting (seed included) and
    /// every metric, so each row says how to reproduce it.
    public func csv() -> String {
        let settingNames = base.settings.map(\.name)
        var header = ["point"] + (sweep == nil ? [] : ["sweep_option", "sweep_value", "x"])
        header += settingNames
        header += ["timeline", "status"] + ExperimentMetric.all.map(\.key) + ["trace_digest"]
        var lines = [header.map(csvField).joined(separator: ",")]
        for (index, point) in points.enumerated() {
            var row = ["\(index)"]
            if let sweep {
                row += [sweep.parameter.name, point.label ?? "", point.x.map { Quantity.trimmed($0, digits: 9) } ?? ""]
            }
            row += point.setup.settings.map(\.value)
            row.append(timelineSummary.joined(separator: "; "))
            row.append(point.result.status)
            row += ExperimentMetric.all.map { metric in metric.value(point.result).map { Quantity.trimmed($0, digits: 6) } ?? "" }
            row.append(point.result.digestHex)
            lines.append(row.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: - JSON

    /// The whole report as a JSON object (Foundation's `JSONEncoder`, keys sorted, so the text is
    /// byte-for-byte reproducible): `tool`, `seed`, `settings`, `timeline`, `sweep`,
    /// `reproduce`, and `points` (each with its `value`, `x`, `settings`, `status`, the metrics,
    /// link counters and goodput per interval). A metric that was not measured is `null`;
    /// fractional numbers keep 6 decimals.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Every value is a string, an integer, a Bool or a finite number (see `JSONNumber`), so
        // encoding cannot fail.
        let data = (try? encoder.encode(JSONReport(self))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// The JSON form of an ``ExperimentReport``.
private struct JSONReport: Encodable {
    struct Sweep: Encodable {
        var option: String
        var values: [String]
        var unit: String
    }

    struct Point: Encodable {
        var value: String?
        var x: JSONNumber?
        var settings: JSONObject<String>
        var completed: Bool
        var status: String
        var metrics: JSONObject<JSONNumber>
        var forwardLink: JSONObject<Int>
        var backwardLink: JSONObject<Int>
        var traceDigest: String
        var sampleInterval: JSONNumber
        var goodputPerInterval: [JSONNumber]
        var boundPerInterval: [JSONNumber]

        enum CodingKeys: String, CodingKey {
            case value, x, settings, completed, status
            case forwardLink = "forward_link", backwardLink = "backward_link", traceDigest = "trace_digest"
            case sampleInterval = "sample_interval_s", goodputPerInterval = "goodput_per_interval_mbps"
            case boundPerInterval = "bound_per_interval_mbps"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(value, forKey: .value)
            try container.encodeIfPresent(x, forKey: .x)
            try container.encode(settings, forKey: .settings)
            try container.encode(completed, forKey: .completed)
            try container.encode(status, forKey: .status)
            try container.encode(forwardLink, forKey: .forwardLink)
            try container.encode(backwardLink, forKey: .backwardLink)
            try container.encode(traceDigest, forKey: .traceDigest)
            try container.encode(sampleInterval, forKey: .sampleInterval)
            try container.encode(goodputPerInterval, forKey: .goodputPerInterval)
            try container.encode(boundPerInterval, forKey: .boundPerInterval)
            // The metrics sit beside the other fields, one key each.
            try metrics.encode(to: encoder)
        }
    }

    var tool = "rudp simulate"
    var scenario: String?
    var seed: UInt64
    var settings: JSONObject<String>
    var timeline: [String]
    var sweep: Sweep?
    var reproduce: String?
    var points: [Point]

    init(_ report: ExperimentReport) {
        scenario = report.base.name
        seed = report.base.seed
        settings = JSONObject(report.base.settings)
        timeline = report.timelineSummary
        sweep = report.sweep.map { Sweep(option: $0.parameter.name, values: $0.values, unit: $0.parameter.axisUnit) }
        reproduce = report.reproduction
        points = report.points.map { point in
            let r = point.result
            let seconds = Double(r.sampleInterval.nanosecondsClamped) / 1e9
            return Point(
                value: point.label,
                x: report.sweep == nil ? nil : JSONNumber(point.x),
                settings: JSONObject(point.setup.settings),
                completed: r.completed,
                status: r.status,
                metrics: JSONObject(ExperimentMetric.all.map { ($0.key, JSONNumber($0.value(r))) }),
                forwardLink: JSONObject(r.forwardLink.jsonCounters),
                backwardLink: JSONObject(r.backwardLink.jsonCounters),
                traceDigest: r.digestHex,
                sampleInterval: JSONNumber(seconds),
                goodputPerInterval: r.deliveredPerInterval.map { JSONNumber(Double($0) * 8 / 1e6 / seconds) },
                boundPerInterval: r.boundPerInterval.map { JSONNumber($0.map { $0 * 8 / 1e6 }) }
            )
        }
    }
}

/// A JSON object whose keys are only known at run time (settings, metrics, link counters).
private struct JSONObject<Value: Encodable>: Encodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var fields: [(name: String, value: Value)]

    init(_ fields: [(name: String, value: Value)]) { self.fields = fields }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, value) in fields { try container.encode(value, forKey: Key(stringValue: name)) }
    }
}

/// A number in the JSON report: `null` if missing or not finite, else rounded to 6 decimals
/// (whole numbers print without a fraction).
private struct JSONNumber: Encodable {
    var value: Double?

    init(_ value: Double?) {
        guard let value, value.isFinite else { self.value = nil; return }
        self.value = Double(Quantity.trimmed(value, digits: 6)) ?? value
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

extension LinkStatistics {
    /// The counters of the JSON report, by key.
    fileprivate var jsonCounters: [(name: String, value: Int)] {
        [
            ("sent", sent), ("delivered", delivered), ("dropped_by_loss", droppedByLoss),
            ("dropped_by_burst", droppedByBurst), ("dropped_by_queue", droppedByQueue),
            ("dropped_by_partition", droppedByPartition), ("duplicated", duplicated),
            ("reordered", reordered), ("corrupted", corrupted), ("bytes_sent", bytesSent),
            ("bytes_delivered", bytesDelivered),
        ]
    }
}

extension String {
    /// The string with every `target` replaced by `replacement` (no Foundation needed).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
