#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's load averages over 1, 5 and 15 minutes, from `/proc/loadavg` (Linux), printed
/// beside benchmark figures: times measured on a loaded machine mean less.
///
/// ```swift
/// let load = LoadAverage.read()   // [0.52, 0.61, 0.70], or nil where there is no /proc/loadavg
/// ```
enum LoadAverage {
    /// The three averages, or nil if `/proc/loadavg` cannot be read.
    static func read() -> [Double]? {
        guard let file = fopen("/proc/loadavg", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }

    /// "0.52 0.61 0.70", or "unknown".
    static func text(_ values: [Double]?) -> String {
        guard let values else { return "unknown" }
        return values.map { Format.fixed($0, digits: 2) }.joined(separator: " ")
    }
}
