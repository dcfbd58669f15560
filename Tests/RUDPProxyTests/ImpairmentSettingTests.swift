import NIOCore
import RUDPCore
import RUDPImpairment
import RUDPProxy
import Testing

/// The value syntax shared by `rudp proxy`'s options and its control port, and the control
/// commands.
@Suite struct ImpairmentSettingTests {
    @Test func plainValuesApplyToBothDirectionsAndPrefixesToOne() throws {
        var impairments = ProxyImpairments.none
        try ImpairmentSetting.loss.apply("0.1", to: &impairments)
        try ImpairmentSetting.loss.apply("down:25%", to: &impairments)
        try ImpairmentSetting.delay.apply("up:20ms", to: &impairments)
        try ImpairmentSetting.jitter.apply("500us", to: &impairments)
        try ImpairmentSetting.rate.apply("down:8mbit", to: &impairments)
        try ImpairmentSetting.queue.apply("down:64KiB", to: &impairments)
        try ImpairmentSetting.mtu.apply("1200", to: &impairments)
        try ImpairmentSetting.burst.apply("up:1%,25%", to: &impairments)
        try ImpairmentSetting.apply("corrupt=up:0.02", to: &impairments)
        try ImpairmentSetting.apply("reorder-delay=1s", to: &impairments)

        #expect(impairments.up.link.loss == 0.1)
        #expect(impairments.down.link.loss == 0.25)
        #expect(impairments.up.link.delay == .milliseconds(20))
        #expect(impairments.down.link.delay == .zero)
        #expect(impairments.up.link.jitter == .microseconds(500))
        #expect(impairments.down.link.jitter == .microseconds(500))
        #expect(impairments.up.link.bandwidth == nil)
        #expect(impairments.down.link.bandwidth == 1_000_000)
        #expect(impairments.down.link.queueCapacity == 65_536)
        #expect(impairments.up.mtu == 1200 && impairments.down.mtu == 1200)
        #expect(impairments.up.link.burstLoss == LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.25))
        #expect(impairments.down.link.burstLoss == nil)
        #expect(impairments.up.link.corruption == 0.02 && impairments.down.link.corruption == 0)
        #expect(impairments.up.link.reorderExtraDelay == .seconds(1))

        try ImpairmentSetting.rate.apply("off", to: &impairments)
        try ImpairmentSetting.mtu.apply("off", to: &impairments)
        try ImpairmentSetting.burst.apply("off", to: &impairments)
        #expect(impairments.down.link.bandwidth == nil && impairments.up.mtu == nil && impairments.up.link.burstLoss == nil)
    }

    @Test func rateUnits() throws {
        let cases: [(String, Int)] = [
            ("1gbit", 125_000_000), ("500kbit", 62_500), ("10Mbit/s", 1_250_000),
            ("125kB/s", 125_000), ("1MiB/s", 1_048_576), ("2MB/s", 2_000_000),
        ]
        for (text, bytesPerSecond) in cases {
            var impairments = ProxyImpairments.none
            try ImpairmentSetting.rate.apply(text, to: &impairments)
            #expect(impairments.up.link.bandwidth == bytesPerSecond, "\(text)")
        }
    }

    @Test(arguments: [
        "loss=1.5", "loss=-0.1", "loss=abc", "loss=", "loss=nan", "loss=sideways:0.1", "delay=-3",
        "delay=2h", "delay=7200s", "burst=0.1", "burst=0.1,2", "rate=fast", "rate=-5mbit", "queue=lots",
        "mtu=-1", "colour=blue", "loss", "jitter=inf",
        // A time or a rate needs its unit; tc's byte rates (mbps) are ambiguous; sizes are not rates.
        "delay=20", "jitter=up:5", "rate=125000", "rate=10mbps", "rate=125KB",
    ])
    func badValuesAreRefusedWithAMessageAndChangeNothing(assignment: String) {
        var impairments = ProxyImpairments(both: Impairments(loss: 0.05))
        #expect(throws: ProxyError.self) {
            try ImpairmentSetting.apply(assignment, to: &impairments)
        }
        #expect(impairments == ProxyImpairments(both: Impairments(loss: 0.05)))
    }

    @Test func aBareTimeIsRefusedWithTheUnitSuggested() {
        var impairments = ProxyImpairments.none
        #expect(throws: ProxyError.invalidImpairment("delay \"20\": a time needs a unit: 20ms, 20us or 20s")) {
            try ImpairmentSetting.delay.apply("20", to: &impairments)
        }
        #expect((try? ImpairmentSetting.delay.apply("0", to: &impairments)) != nil)
    }

    @Test func theSummaryReadsBack() throws {
        var impairments = ProxyImpairments.none
        for assignment in [
            "loss=2.5%", "burst=1%,30%,80%", "delay=up:20ms", "jitter=1500us", "rate=down:10mbit",
            "queue=32KiB", "mtu=1200", "reorder=0.01", "reorder-delay=7ms",
        ] {
            try ImpairmentSetting.apply(assignment, to: &impairments)
        }
        // Every "NAME VALUE" of the summary, applied again, gives the same impairments.
        for direction in [ProxyDirection.up, .down] {
            var again = ProxyImpairments.none
            for part in impairments[direction].description.split(separator: ", ") {
                guard let space = part.firstIndex(of: " ") else { continue }
                let name = String(part[..<space])
                guard let setting = ImpairmentSetting(rawValue: name) else { continue }
                try setting.apply(value: String(part[part.index(after: space)...]), to: &again.up)
            }
            #expect(again.up == impairments[direction], "\(impairments[direction])")
        }
    }

    @Test func validationNamesTheBadValue() {
        #expect(throws: ProxyError.invalidImpairment("loss must be in 0...1, got 2.0")) {
            try Impairments(loss: 2).validate()
        }
        #expect(throws: ProxyError.self) { try Impairments(delay: .seconds(-1)).validate() }
        #expect(throws: ProxyError.self) { try Impairments(bandwidth: 0).validate() }
    }

    @Test func controlCommandsParse() throws {
        #expect(try ProxyControlCommand.parse("set loss=10% delay=down:30ms") == .set(["loss=10%", "delay=down:30ms"]))
        #expect(try ProxyControlCommand.parse("partition 2.5 up") == .partition(.milliseconds(2500), .up))
        #expect(try ProxyControlCommand.parse("  partition 1\r") == .partition(.seconds(1), .both))
        #expect(try ProxyControlCommand.parse("STATS") == .statistics)
        #expect(try ProxyControlCommand.parse("") == nil)
        #expect(try ProxyControlCommand.parse("# comment") == nil)
        #expect(try ProxyControlCommand.parse("rebind") == .rebind(nil))
        #expect(try ProxyControlCommand.parse("rebind all") == .rebind(nil))
        #expect(try ProxyControlCommand.parse("rebind 127.0.0.1:5000") == .rebind(try SocketAddress(ipAddress: "127.0.0.1", port: 5000)))
        #expect(try ProxyControlCommand.parse("REBIND [::1]:53") == .rebind(try SocketAddress(ipAddress: "::1", port: 53)))
        for bad in [
            "partition", "partition -1", "partition 1 sideways", "partition nan", "set", "dance", "heal now",
            "rebind 127.0.0.1", "rebind localhost:80", "rebind 127.0.0.1:1 127.0.0.1:2", "rebind 127.0.0.1:0",
        ] {
            #expect(throws: ProxyError.self, "\(bad)") { try ProxyControlCommand.parse(bad) }
        }
    }

    @Test func addressesParse() throws {
        #expect(try ProxyAddress.parse("127.0.0.1:9000") == ("127.0.0.1", 9000))
        #expect(try ProxyAddress.parse("[::1]:53") == ("::1", 53))
        #expect(try ProxyAddress.parse("127.0.0.1:0", allowPortZero: true) == ("127.0.0.1", 0))
        for bad in ["127.0.0.1", "127.0.0.1:0", ":80", "::1:80", "[::1]80", "host:99999", "host:8x"] {
            #expect(throws: ProxyError.self, "\(bad)") { try ProxyAddress.parse(bad) }
        }
    }
}
