import RUDPCore
import RUDPImpairment
import RUDPSimulation

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
                metric.value(point.result).map { Quantity.fixed($0, digits: metric.digits) + (metric.key == "link_share" ? "%" : "") } ?? "-"
            }
            if sweep != nil { row.insert(point.label ?? "", at: 0) }
            rows.append(row)
        }
        lines += alignedColumns(headings: headings, rows: rows)

        var notes: [String] = []
        for point in points {
            let prefix = sweep.map { "\($0.parameter.name)=\(point.label ?? ""): " } ?? ""
            let r = point.result
            notes.append(prefix + "\(r.status); window \(Quantity.formatDuration(r.window)), "
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

    /// The whole report as a JSON object: `tool`, `seed`, `settings`, `timeline`, `sweep`,
    /// `reproduce`, and `points` (each with its `value`, `x`, `settings`, `status`, the metrics,
    /// link counters and goodput per interval).
    public func json() -> String {
        let json = JSONWriter()
        json.object {
            json.field("tool") { json.string("rudp simulate") }
            if let name = base.name { json.field("scenario") { json.string(name) } }
            json.field("seed") { json.integer(base.seed) }
            json.field("settings") { settingsObject(json, base.settings) }
            json.field("timeline") { json.array { for line in timelineSummary { json.element { json.string(line) } } } }
            if let sweep {
                json.field("sweep") {
                    json.object {
                        json.field("option") { json.string(sweep.parameter.name) }
                        json.field("values") { json.array { for v in sweep.values { json.element { json.string(v) } } } }
                        json.field("unit") { json.string(sweep.parameter.axisUnit) }
                    }
                }
            }
            if let reproduction { json.field("reproduce") { json.string(reproduction) } }
            json.field("points") {
                json.array {
                    for point in points {
                        json.element { pointObject(json, point) }
                    }
                }
            }
        }
        return json.text + "\n"
    }

    private func settingsObject(_ json: JSONWriter, _ settings: [(name: String, value: String)]) {
        json.object {
            for (name, value) in settings { json.field(name) { json.string(value) } }
        }
    }

    private func pointObject(_ json: JSONWriter, _ point: Point) {
        let r = point.result
        json.object {
            if let label = point.label { json.field("value") { json.string(label) } }
            if sweep != nil { json.field("x") { json.number(point.x) } }
            json.field("settings") { settingsObject(json, point.setup.settings) }
            json.field("completed") { json.bool(r.completed) }
            json.field("status") { json.string(r.status) }
            for metric in ExperimentMetric.all {
                json.field(metric.key) { json.number(metric.value(r)) }
            }
            json.field("forward_link") { linkObject(json, r.forwardLink) }
            json.field("backward_link") { linkObject(json, r.backwardLink) }
            json.field("trace_digest") { json.string(r.digestHex) }
            json.field("sample_interval_s") { json.number(Double(r.sampleInterval.nanosecondsClamped) / 1e9) }
            json.field("goodput_per_interval_mbps") {
                let seconds = Double(r.sampleInterval.nanosecondsClamped) / 1e9
                json.array { for bytes in r.deliveredPerInterval { json.element { json.number(Double(bytes) * 8 / 1e6 / seconds) } } }
            }
            json.field("bound_per_interval_mbps") {
                json.array { for b in r.boundPerInterval { json.element { json.number(b.map { $0 * 8 / 1e6 }) } } }
            }
        }
    }

    private func linkObject(_ json: JSONWriter, _ s: LinkStatistics) {
        json.object {
            let pairs: [(String, Int)] = [
                ("sent", s.sent), ("delivered", s.delivered), ("dropped_by_loss", s.droppedByLoss),
                ("dropped_by_burst", s.droppedByBurst), ("dropped_by_queue", s.droppedByQueue),
                ("dropped_by_partition", s.droppedByPartition), ("duplicated", s.duplicated),
                ("reordered", s.reordered), ("corrupted", s.corrupted), ("bytes_sent", s.bytesSent),
                ("bytes_delivered", s.bytesDelivered),
            ]
            for (key, value) in pairs { json.field(key) { json.integer(value) } }
        }
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
