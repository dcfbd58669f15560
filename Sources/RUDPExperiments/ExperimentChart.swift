import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// Draws an ``ExperimentReport`` as a standalone SVG image (no dependencies).
///
/// With a sweep: two panels against the swept option, goodput (with the `(1 − loss) × rate`
/// bound, and the bound after protocol headers, dashed) and latency (p99 and p50); lines over a
/// numeric option, grouped bars over a categorical one (`congestion=westwood,newreno`). Without a
/// sweep: goodput over time with the bound over time, which shows a scenario's partitions and
/// rate changes. The text names the seed and settings, so a chart can be reproduced.
///
/// ```swift
/// let svg = ExperimentChart(report: report).svg()
/// try svg.write(toFile: "loss.svg", atomically: true, encoding: .utf8)   // Foundation, in the caller
/// ```
public struct ExperimentChart: Sendable {
    /// One line on a panel.
    struct Series {
        var name: String
        var color: String
        var dash: String?
        var markers: Bool
        var points: [(x: Double, y: Double)]
        /// Per point: drawn hollow because its run did not complete (empty: all solid).
        var incomplete: [Bool] = []
    }

    /// The report drawn.
    public var report: ExperimentReport
    /// Image width in pixels.
    public var width = 960
    /// Image height in pixels.
    public var height = 720

    /// A chart of `report`.
    public init(report: ExperimentReport) {
        self.report = report
    }

    /// The SVG document.
    public func svg() -> String {
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let title =
            (report.base.name.map { "Scenario \($0)" } ?? "rudp simulate")
            + (report.sweep.map { ": sweep of \($0.parameter.name)" } ?? ": goodput over time")
        out += text(title, x: 20, y: 28, size: 18, weight: "bold")
        let shown = [
            "seed", "rate", "delay", "jitter", "loss", "burst", "queue", "reverse", "size", "messages", "duration", "message-rate", "mode",
        ]
        let settings = shown.compactMap { name in report.fixedSettings.first { $0.name == name } }
            .filter { !["0", "0s", "none", "unlimited"].contains($0.value) || $0.name == "loss" }
            .map { "\($0.name)=\($0.value)" }
        var subtitleLines = [""]
        for item in settings {
            if !subtitleLines[subtitleLines.count - 1].isEmpty, subtitleLines[subtitleLines.count - 1].count + item.count > 140 {
                subtitleLines.append("")
            }
            subtitleLines[subtitleLines.count - 1] += (subtitleLines[subtitleLines.count - 1].isEmpty ? "" : "  ") + item
        }
        for (index, line) in subtitleLines.prefix(2).enumerated() {
            out += text(line, x: 20, y: 46 + Double(index) * 15, size: 12, color: "#555")
        }

        if let sweep = report.sweep {
            let categorical = report.points.contains { $0.x == nil }
            let xs = report.points.enumerated().map { categorical ? Double($0.offset) : $0.element.x! }
            let labels = categorical ? report.points.map { $0.label ?? "" } : nil
            let axisTitle = sweep.parameter.name + (sweep.parameter.axisUnit.isEmpty ? "" : " (\(sweep.parameter.axisUnit))")
            func series(
                _ name: String, _ color: String, dash: String? = nil, markers: Bool = true,
                _ value: (ExperimentResult) -> Double?
            ) -> Series {
                let kept = zip(xs, report.points).compactMap { x, point in value(point.result).map { (x, $0, point.result.completed) } }
                return Series(
                    name: name, color: color, dash: dash, markers: markers,
                    points: kept.map { ($0.0, $0.1) }, incomplete: kept.map { !$0.2 })
            }
            let goodput = [
                series("goodput", "#1f6fd1") { $0.goodput * 8 / 1e6 },
                series("(1 - loss) × rate", "#444", dash: "8,5", markers: false) { $0.bound.map { $0 * 8 / 1e6 } },
                series("bound after headers", "#999", dash: "2,4", markers: false) { $0.headerBound.map { $0 * 8 / 1e6 } },
            ]
            let latency = [
                series("p99 latency", "#d1341f") { $0.latencyP99.map { Double($0) / 1e6 } },
                series("p50 latency", "#e89a2c", dash: "5,4") { $0.latencyP50.map { Double($0) / 1e6 } },
            ]
            let panelHeight = (height - 100) / 2
            out += panel(
                series: goodput, x: 80, y: 80, width: width - 110, height: panelHeight - 50,
                xTitle: axisTitle, yTitle: "goodput (Mbit/s)", categories: labels)
            out += panel(
                series: latency, x: 80, y: 80 + panelHeight, width: width - 110, height: panelHeight - 50,
                xTitle: axisTitle, yTitle: "latency (ms)", categories: labels)
            if report.points.contains(where: { !$0.result.completed }) {
                out += text(
                    "hollow markers: the run did not complete (see the report's status)", x: 80, y: Double(height - 6),
                    size: 11, color: "#555")
            }
        } else if let point = report.points.first {
            let r = point.result
            let seconds = Double(r.sampleInterval.nanosecondsClamped) / 1e9
            let goodput = r.deliveredPerInterval.prefix(r.intervalsInWindow).enumerated().map {
                (x: Double($0.offset) * seconds, y: Double($0.element) * 8 / 1e6 / seconds)
            }
            var bound: [(x: Double, y: Double)] = []
            for (index, value) in r.boundPerInterval.prefix(r.intervalsInWindow).enumerated() {
                guard let value else { continue }
                bound.append((Double(index) * seconds, value * 8 / 1e6))
            }
            let lines = [
                Series(
                    name: "goodput per \(Quantity.formatDuration(r.sampleInterval))", color: "#1f6fd1", dash: nil, markers: false,
                    points: stairs(goodput, width: seconds)),
                Series(name: "(1 - loss) × rate", color: "#444", dash: "8,5", markers: false, points: stairs(bound, width: seconds)),
            ]
            out += panel(
                series: lines, x: 80, y: 80, width: width - 110, height: height - 160,
                xTitle: "time since start (s)", yTitle: "goodput (Mbit/s)", categories: nil)
            let summary =
                "p50 \(r.latencyP50.map { Quantity.fixed(Double($0) / 1e6, digits: 1) } ?? "-") ms, "
                + "p99 \(r.latencyP99.map { Quantity.fixed(Double($0) / 1e6, digits: 1) } ?? "-") ms, "
                + "max \(r.latencyMax.map { Quantity.fixed(Double($0) / 1e6, digits: 1) } ?? "-") ms, "
                + "retransmissions \(r.retransmittedFragments), \(r.status)"
            out += text(summary, x: 80, y: Double(height - 20), size: 12, color: "#333")
        }
        out += "</svg>\n"
        return out
    }

    /// Turns per-interval values into a step line (each value held across its interval).
    private func stairs(_ points: [(x: Double, y: Double)], width: Double) -> [(x: Double, y: Double)] {
        points.flatMap { [($0.x, $0.y), ($0.x + width, $0.y)] }
    }

    private func panel(
        series: [Series], x: Int, y: Int, width: Int, height: Int,
        xTitle: String, yTitle: String, categories: [String]?
    ) -> String {
        let all = series.flatMap(\.points)
        var out = ""
        guard !all.isEmpty else {
            return text("no data", x: Double(x + width / 2), y: Double(y + height / 2), anchor: "middle")
        }
        var xMin = all.map(\.x).min()!, xMax = all.map(\.x).max()!
        if categories != nil { xMin -= 0.5; xMax += 0.5 }
        if xMax - xMin <= 0 { xMin -= 1; xMax += 1 }
        let yMax = Self.niceCeiling(max(all.map(\.y).max()! * 1.08, 1e-9))
        let left = Double(x), top = Double(y), w = Double(width), h = Double(height)
        func px(_ value: Double) -> Double { left + (value - xMin) / (xMax - xMin) * w }
        func py(_ value: Double) -> Double { top + h - value / yMax * h }

        // Grid and axes.
        let yStep = Self.niceStep(yMax, ticks: 5)
        var tick = 0.0
        while tick <= yMax + yStep * 1e-6 {
            out += line(left, py(tick), left + w, py(tick), color: "#e3e3e3")
            out += text(Self.label(tick, step: yStep), x: left - 8, y: py(tick) + 4, size: 11, anchor: "end")
            tick += yStep
        }
        if let categories {
            for (index, label) in categories.enumerated() {
                out += line(px(Double(index)), top + h, px(Double(index)), top + h + 5, color: "#333")
                out += text(label, x: px(Double(index)), y: top + h + 19, size: 11, anchor: "middle")
            }
        } else {
            let xStep = Self.niceStep(xMax - xMin, ticks: 8)
            var xt = (xMin / xStep).rounded(.up) * xStep
            while xt <= xMax + xStep * 1e-6 {
                out += line(px(xt), top, px(xt), top + h, color: "#f0f0f0")
                out += line(px(xt), top + h, px(xt), top + h + 5, color: "#333")
                out += text(Self.label(xt, step: xStep), x: px(xt), y: top + h + 19, size: 11, anchor: "middle")
                xt += xStep
            }
        }
        out += line(left, top + h, left + w, top + h, color: "#333")
        out += line(left, top, left, top + h, color: "#333")
        out += text(xTitle, x: left + w / 2, y: top + h + 38, size: 12, anchor: "middle")
        out +=
            "<text x=\"\(f(left - 52))\" y=\"\(f(top + h / 2))\" font-size=\"12\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 \(f(left - 52)) \(f(top + h / 2)))\">\(Self.escape(yTitle))</text>\n"

        // A categorical axis (for example congestion=westwood,newreno): grouped bars, and each
        // bound as a dashed level over its category; nothing joins one category to the next.
        if categories != nil {
            let bars = series.filter { $0.markers && !$0.points.isEmpty }
            let slot = 0.8 / Double(max(1, bars.count))
            var barIndex = 0
            for (index, s) in series.enumerated() where !s.points.isEmpty {
                for (pointIndex, p) in s.points.enumerated() {
                    if s.markers {
                        let start = p.x - 0.4 + Double(barIndex) * slot
                        let hollow = pointIndex < s.incomplete.count && s.incomplete[pointIndex]
                        out +=
                            "<rect x=\"\(f(px(start)))\" y=\"\(f(py(p.y)))\" width=\"\(f(px(start + slot) - px(start)))\" "
                            + "height=\"\(f(max(0, py(0) - py(p.y))))\" fill=\"\(hollow ? "white" : s.color)\" "
                            + "stroke=\"\(s.color)\" stroke-width=\"1.5\"/>\n"
                    } else {
                        out +=
                            "<line x1=\"\(f(px(p.x - 0.45)))\" y1=\"\(f(py(p.y)))\" x2=\"\(f(px(p.x + 0.45)))\" y2=\"\(f(py(p.y)))\" "
                            + "stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>\n"
                    }
                }
                if s.markers { barIndex += 1 }
                out += legend(s, index: index, left: left, top: top, width: w, bar: s.markers)
            }
            return out
        }

        // Lines, markers, legend.
        for (index, s) in series.enumerated() where !s.points.isEmpty {
            let path = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out +=
                "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") points=\"\(path)\"/>\n"
            if s.markers {
                for (pointIndex, p) in s.points.enumerated() {
                    let hollow = pointIndex < s.incomplete.count && s.incomplete[pointIndex]
                    out +=
                        "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(hollow ? "4.5" : "3.5")\" "
                        + "fill=\"\(hollow ? "white" : s.color)\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>\n"
                }
            }
            out += legend(s, index: index, left: left, top: top, width: w, bar: false)
        }
        return out
    }

    /// One legend entry at the top right of a panel: a line sample, or a box for a bar series.
    private func legend(_ s: Series, index: Int, left: Double, top: Double, width: Double, bar: Bool) -> String {
        let legendY = top + 14 + Double(index) * 18
        let legendX = left + width - 190
        var out: String
        if bar {
            out = "<rect x=\"\(f(legendX + 8))\" y=\"\(f(legendY - 10))\" width=\"12\" height=\"12\" fill=\"\(s.color)\"/>\n"
        } else {
            out =
                "<line x1=\"\(f(legendX))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(legendX + 28))\" y2=\"\(f(legendY - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>\n"
        }
        out += text(s.name, x: legendX + 34, y: legendY, size: 12)
        return out
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(color)\" stroke-width=\"1\"/>\n"
    }

    private func text(
        _ content: String, x: Double, y: Double, size: Int = 13, weight: String? = nil,
        color: String = "#111", anchor: String = "start"
    ) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" fill=\"\(color)\" text-anchor=\"\(anchor)\""
            + (weight.map { " font-weight=\"\($0)\"" } ?? "") + ">\(Self.escape(content))</text>\n"
    }

    private func f(_ value: Double) -> String { Quantity.fixed(value, digits: 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A tick step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over `range`.
    static func niceStep(_ range: Double, ticks: Int) -> Double {
        guard range > 0, range.isFinite else { return 1 }
        let raw = range / Double(ticks)
        var power = 1.0
        while power * 10 <= raw { power *= 10 }
        while power > raw { power /= 10 }
        let residual = raw / power
        let factor: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return factor * power
    }

    /// `value` rounded up to a whole number of nice steps.
    static func niceCeiling(_ value: Double) -> Double {
        let step = niceStep(value, ticks: 5)
        return (value / step).rounded(.up) * step
    }

    /// A tick label with as many decimals as the step needs.
    static func label(_ value: Double, step: Double) -> String {
        var digits = 0
        var s = step
        while s < 1, digits < 9 { s *= 10; digits += 1 }
        return Quantity.fixed(value, digits: digits)
    }
}
