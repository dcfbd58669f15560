import EngineExchange
import RUDPCore

// The minimal in-memory driver as a command, for callgrind (see ../../callgrind.sh):
//
//     EngineDriver [--messages N] [--size BYTES] [--loss P] [--seed S] [--delay-us MICROSECONDS] [--batch N]
//
// Two endpoints exchange N reliable-ordered messages (default 100,000 of 1,024 bytes) in memory
// with seeded loss P in both directions and a one-way delay of 1 ms of virtual time; the run
// fails (exit 1) unless every message is delivered intact, in order, and acknowledged, and the
// connection closes cleanly. With --messages 0 it runs only the handshake and the close, so that
// run's instructions can be subtracted from a run with N messages. Prints what it counted and
// the CPU time (meaningless under valgrind; use the instruction counts there).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func usage(_ problem: String) -> Never {
    print(
        "EngineDriver: \(problem)\nusage: EngineDriver [--messages N] [--size BYTES] [--loss P] [--seed S] [--delay-us MICROSECONDS] [--batch N]"
    )
    exit(2)
}

var options = ExchangeOptions()
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard let value = arguments.popFirst() else { usage("\(name) needs a value") }
    switch name {
    case "--messages": guard let n = Int(value), n >= 0 else { usage("bad --messages \(value)") }; options.messages = n
    case "--size": guard let n = Int(value), n >= 8 else { usage("--size must be at least 8") }; options.messageSize = n
    case "--loss": guard let p = Double(value), p >= 0, p < 1 else { usage("--loss must be in 0 ..< 1") }; options.loss = p
    case "--seed": guard let s = UInt64(value) else { usage("bad --seed \(value)") }; options.seed = s
    case "--batch": guard let n = Int(value), n > 0 else { usage("bad --batch \(value)") }; options.batchSize = n
    case "--delay-us": guard let d = UInt64(value), d > 0 else { usage("bad --delay-us \(value)") }; options.oneWayDelay = d * 1_000
    default: usage("unknown option \(name)")
    }
}

let start = cpuSeconds()
var exchange = Exchange(options: options)
do {
    try exchange.run()
} catch {
    print("EngineDriver: FAILED: \(error)")
    exit(1)
}
let cpu = cpuSeconds() - start
let s = exchange.statistics
let c = s.clientConnection
print(
    """
    messages \(s.delivered) of \(options.messageSize) bytes delivered and acknowledged, checksum \(String(s.checksum, radix: 16)) verified
    loss \(options.loss) seed \(options.seed) one-way delay \(options.oneWayDelay / 1_000) us batch \(options.batchSize)
    datagrams to server \(s.datagramsToServer) (dropped \(s.droppedToServer)), to client \(s.datagramsToClient) (dropped \(s.droppedToClient))
    rounds \(s.rounds), timer wake-ups \(s.timerWakeups) (stale deadlines \(s.staleDeadlines)), refused sends \(s.refusedSends)
    client connection: packets sent \(c.packetsSent), lost \(c.packetsLost) (spurious \(c.spuriousLosses)), RTOs \(c.retransmissionTimeouts), fragments retransmitted \(c.fragmentsRetransmitted), packets received \(c.packetsReceived), cwnd \(c.congestionWindow), srtt \(c.smoothedRTT / 1_000) us
    virtual time \(Double(s.virtualTime) / 1e9) s, CPU \(cpu) s\(s.delivered > 0 ? ", \(Int(cpu / Double(s.delivered) * 1e9)) ns per message" : "")
    """)
