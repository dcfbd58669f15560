import RUDPCore
import RUDPWire

/// Datagrams of engine exchanges in the order they were sent, with made-up IPv4 addresses and
/// ports, written as a capture (`PcapFile`). The capture is taken at the sender: a datagram the
/// simulated network drops is still in it.
final class CaptureRecorder {
    struct Record {
        var datagram: [UInt8]
        var source: PcapFile.Endpoint
        var destination: PcapFile.Endpoint
        var nanoseconds: UInt64
    }

    static let server = PcapFile.Endpoint.ipv4(192, 0, 2, 2, port: 9000)

    private(set) var records: [Record] = []
    /// Capture time of the current exchange's virtual time zero (2026-01-01T00:00:00Z at first).
    private var base: UInt64 = 1_767_225_600 * 1_000_000_000

    /// Starts a new exchange: its virtual time zero comes a second after the last record.
    func beginExchange() {
        if let last = records.last { base = last.nanoseconds + 1_000_000_000 }
    }

    func record(_ datagram: [UInt8], from source: PcapFile.Endpoint, to destination: PcapFile.Endpoint, at time: Timestamp) {
        records.append(Record(datagram: datagram, source: source, destination: destination, nanoseconds: base + time.nanoseconds))
    }

    /// Records everything `pair` sends from now on (as `client` and ``server``); `drop` says which
    /// datagrams the network loses.
    func attach(
        _ pair: Pair, client: PcapFile.Endpoint,
        drop: @escaping (_ datagram: [UInt8], _ toServer: Bool) -> Bool = { _, _ in false }
    ) {
        pair.filter = { [unowned self, unowned pair] datagram, toServer in
            self.record(datagram, from: toServer ? client : Self.server, to: toServer ? Self.server : client, at: pair.now)
            return !drop(datagram, toServer)
        }
    }

    /// The capture, with the ports `port(index of the record, original port)` says.
    func capture(port: (Int, UInt16) -> UInt16 = { $1 }) -> PcapFile {
        var file = PcapFile()
        for (i, r) in records.enumerated() {
            var source = r.source, destination = r.destination
            source.port = port(i, source.port)
            destination.port = port(i, destination.port)
            file.append(r.datagram, from: source, to: destination, at: r.nanoseconds)
        }
        return file
    }
}
