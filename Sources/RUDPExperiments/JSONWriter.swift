import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// A minimal JSON writer (a class, so nested closures can write to it) (no Foundation): objects, arrays, strings with escaping, integers,
/// and finite doubles (non-finite or missing numbers become `null`). Output is indented two
/// spaces per level and its key order is the order written, so it is byte-for-byte
/// reproducible.
///
/// ```swift
/// let json = JSONWriter()
/// json.object {
///     json.field("seed") { json.integer(7) }
///     json.field("loss") { json.number(0.05) }
/// }
/// print(json.text)
/// ```
final class JSONWriter {
    /// What has been written.
    private(set) var text = ""
    private var depth = 0
    private var needsComma: [Bool] = []

    init() {}

    func object(_ body: () -> Void) {
        text += "{"
        depth += 1
        needsComma.append(false)
        body()
        let hadItems = needsComma.removeLast()
        depth -= 1
        if hadItems { newline() }
        text += "}"
    }

    func array(_ body: () -> Void) {
        text += "["
        depth += 1
        needsComma.append(false)
        body()
        let hadItems = needsComma.removeLast()
        depth -= 1
        if hadItems { newline() }
        text += "]"
    }

    /// A key and its value (written by `value`) inside an object.
    func field(_ key: String, _ value: () -> Void) {
        separate()
        string(key)
        text += ": "
        value()
    }

    /// One element (written by `value`) inside an array.
    func element(_ value: () -> Void) {
        separate()
        value()
    }

    func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }

    func integer(_ value: some BinaryInteger) {
        text += "\(value)"
    }

    func number(_ value: Double?) {
        guard let value, value.isFinite else {
            text += "null"
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            text += "\(Int64(value))"
        } else {
            text += Quantity.trimmed(value, digits: 6)
        }
    }

    func bool(_ value: Bool) {
        text += value ? "true" : "false"
    }

    private func separate() {
        if needsComma.last == true { text += "," }
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
        newline()
    }

    private func newline() {
        text += "\n" + String(repeating: "  ", count: depth)
    }
}
