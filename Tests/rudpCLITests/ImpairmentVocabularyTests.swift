import Testing

@testable import rudp

/// `rudp proxy` and `rudp simulate` read the same impairment values (tc-netem's names and
/// units) and refuse the same ones with the same reason, parsed in process as `rudp` does.
@Suite struct ImpairmentVocabularyTests {
    static let proxy = ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"]

    /// Both commands' command lines for `option value`.
    static func bothCommands(_ option: String, _ value: String) -> [[String]] {
        [["simulate", "--\(option)", value], proxy + ["--\(option)", value]]
    }

    @Test(arguments: [
        ("delay", "20ms"), ("delay", "500us"), ("delay", "1s"), ("delay", "0"), ("jitter", "5ms"),
        ("rate", "100kbit"), ("rate", "10mbit"), ("rate", "1gbit"), ("rate", "2MB/s"), ("rate", "10Mbit/s"),
        ("rate", "off"), ("loss", "1%"), ("loss", "0.01"), ("burst", "1%,30%"), ("burst", "1%,30%,80%,0.1%"),
        ("burst", "off"), ("queue", "64KiB"), ("duplicate", "2%"), ("reorder", "0.1"), ("corrupt", "0.5%"),
    ])
    func bothCommandsAcceptTheSameValues(option: String, value: String) {
        for arguments in Self.bothCommands(option, value) {
            let (status, message) = OptionRangeTests.parse(arguments)
            #expect(status == 0, "rudp \(arguments.joined(separator: " ")): \(message)")
        }
    }

    @Test(arguments: [
        ("delay", "20", "a time needs a unit: 20ms, 20us or 20s"),
        ("jitter", "5", "a time needs a unit: 5ms, 5us or 5s"),
        ("rate", "10", "a rate needs a unit: 10kbit, 10mbit or 10MB/s"),
        ("rate", "10mbps", "ambiguous"),
        ("loss", "150%", "between 0 and 1"),
        ("burst", "1%", "gemodel"),
    ])
    func bothCommandsRefuseTheSameValuesWithTheSameReason(option: String, value: String, reason: String) {
        for arguments in Self.bothCommands(option, value) {
            let (status, message) = OptionRangeTests.parse(arguments)
            #expect(
                status == 64 && message.contains("--\(option)") && message.contains(reason),
                "rudp \(arguments.joined(separator: " ")) exits \(status): \(message)")
        }
    }

    @Test func theProxyTakesADirectionBeforeAnyValue() {
        let (status, message) = OptionRangeTests.parse(
            Self.proxy + ["--delay", "up:20ms", "--burst", "down:1%,30%", "--rate", "up:10mbit"])
        #expect(status == 0, "\(message)")
        let (refused, why) = OptionRangeTests.parse(Self.proxy + ["--delay", "down:20"])
        #expect(refused == 64 && why.contains("20ms"), "\(why)")
    }
}
