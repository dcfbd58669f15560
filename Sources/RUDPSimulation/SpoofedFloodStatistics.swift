/// What a ``SpoofedFlood`` sent and what came back to its spoofed addresses.
public struct SpoofedFloodStatistics: Sendable, Hashable, CustomStringConvertible {
    /// CONNECTs sent, and their bytes.
    public var datagramsSent = 0
    /// Bytes of the CONNECTs sent.
    public var bytesSent = 0
    /// Datagrams the flooded node sent to spoofed addresses, and their bytes.
    public var answers = 0
    /// Bytes of the answers to spoofed addresses.
    public var answerBytes = 0
    /// Distinct spoofed addresses used.
    public var addresses = 0
    /// The largest ratio of bytes answered to bytes received over all spoofed addresses.
    public var worstAmplification = 0.0

    /// All counters zero.
    public init() {}

    /// Bytes answered per byte sent, over the whole flood.
    public var amplification: Double { bytesSent == 0 ? 0 : Double(answerBytes) / Double(bytesSent) }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "sent \(datagramsSent) CONNECTs (\(bytesSent) B) from \(addresses) addresses; answered \(answers) (\(answerBytes) B): "
            + "amplification \(formatRatio(amplification)) overall, \(formatRatio(worstAmplification)) at worst per address"
    }

    private func formatRatio(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)x"
    }
}
