#if canImport(Glibc)
import Glibc
#endif

/// The classic BPF program that a multi-worker ``RUDPServer`` attaches to its `SO_REUSEPORT`
/// group (`SO_ATTACH_REUSEPORT_CBPF`): it picks the socket, hence the worker, of each datagram
/// from the datagram's first bytes (`Specs/PROTOCOL.md` sections 3.2 and 7.1).
///
/// The kernel runs it on the UDP payload and uses its result as an index into the group, whose
/// sockets are numbered in bind order; a result outside the group makes the kernel fall back to
/// its default choice, a hash of the source and destination addresses and ports.
///
/// - A datagram shorter than 23 bytes (no RUDP datagram is) → out of range: the hash.
///   The length is checked first because a classic BPF load past the end of the packet ends the
///   program with result 0, which would send every runt to worker 0.
/// - CONNECT (type byte `0x01` at offset 1), whose destination is 0 → out of range: the hash,
///   which spreads handshakes over the workers and keeps every CONNECT of one client address
///   (retransmissions, the CONNECT that returns a RETRY cookie) on the same worker, the one that
///   holds its half-open state, its retry-cookie secret and its memory of ended handshakes.
/// - Any other datagram → the top 4 bits of the destination connection ID (the high nibble of
///   byte 3): the worker index every ID a worker issues carries. The datagram reaches that
///   worker whatever its source address, so a connection stays on its worker when the client's
///   address changes. An index the group does not have (a forged or garbage ID) gets the hash;
///   the worker that receives it drops it as it drops any unroutable datagram.
enum WorkerSteeringProgram {
    /// One classic BPF instruction (`struct sock_filter` of `<linux/filter.h>`).
    struct Instruction: Equatable, Sendable {
        var code: UInt16
        var jumpIfTrue: UInt8
        var jumpIfFalse: UInt8
        var operand: UInt32
    }

    /// The result that makes the kernel fall back to hashing (any index past the group).
    static let hashFallback: UInt32 = 0xFFFF_FFFF
    /// The shortest RUDP datagram: a 19-byte header and the 4-byte trailer.
    static let shortestDatagram: UInt32 = 23
    /// The CONNECT packet type.
    static let connectType: UInt32 = 0x01

    // Opcodes of <linux/bpf_common.h>.
    private static let loadLength: UInt16 = 0x00 | 0x00 | 0x80  // BPF_LD | BPF_W | BPF_LEN
    private static let loadByte: UInt16 = 0x00 | 0x10 | 0x20  // BPF_LD | BPF_B | BPF_ABS
    private static let jumpIfAtLeast: UInt16 = 0x05 | 0x30 | 0x00  // BPF_JMP | BPF_JGE | BPF_K
    private static let jumpIfEqual: UInt16 = 0x05 | 0x10 | 0x00  // BPF_JMP | BPF_JEQ | BPF_K
    private static let shiftRight: UInt16 = 0x04 | 0x70 | 0x00  // BPF_ALU | BPF_RSH | BPF_K
    private static let returnA: UInt16 = 0x06 | 0x10  // BPF_RET | BPF_A
    private static let returnK: UInt16 = 0x06 | 0x00  // BPF_RET | BPF_K

    /// The program (jump offsets count instructions after the next one).
    static let instructions: [Instruction] = [
        /* 0 */ Instruction(code: loadLength, jumpIfTrue: 0, jumpIfFalse: 0, operand: 0),
        /* 1 */ Instruction(code: jumpIfAtLeast, jumpIfTrue: 0, jumpIfFalse: 5, operand: shortestDatagram),  // short → 7
        /* 2 */ Instruction(code: loadByte, jumpIfTrue: 0, jumpIfFalse: 0, operand: 1),  // packet type
        /* 3 */ Instruction(code: jumpIfEqual, jumpIfTrue: 3, jumpIfFalse: 0, operand: connectType),  // CONNECT → 7
        /* 4 */ Instruction(code: loadByte, jumpIfTrue: 0, jumpIfFalse: 0, operand: 3),  // destination, top byte
        /* 5 */ Instruction(code: shiftRight, jumpIfTrue: 0, jumpIfFalse: 0, operand: 4),  // its top 4 bits
        /* 6 */ Instruction(code: returnA, jumpIfTrue: 0, jumpIfFalse: 0, operand: 0),
        /* 7 */ Instruction(code: returnK, jumpIfTrue: 0, jumpIfFalse: 0, operand: hashFallback),
    ]

    /// `SO_ATTACH_REUSEPORT_CBPF` of `<asm-generic/socket.h>` (Glibc does not export it).
    static let attachOption: CInt = 51

    /// Attaches the program to the reuse-port group of `descriptor` (a bound `SO_REUSEPORT`
    /// socket); returns `errno` on failure, 0 on success.
    static func attach(to descriptor: CInt) -> CInt {
        // struct sock_filter: u16 code, u8 jt, u8 jf, u32 k (8 bytes, no padding).
        var filter = [UInt8](repeating: 0, count: instructions.count * 8)
        for (index, instruction) in instructions.enumerated() {
            let base = index * 8
            withUnsafeBytes(of: instruction.code) { filter.replaceSubrange(base..<base + 2, with: $0) }
            filter[base + 2] = instruction.jumpIfTrue
            filter[base + 3] = instruction.jumpIfFalse
            withUnsafeBytes(of: instruction.operand) { filter.replaceSubrange(base + 4..<base + 8, with: $0) }
        }
        return filter.withUnsafeMutableBytes { filterBytes in
            // struct sock_fprog: u16 len, then (aligned) a pointer to the instructions.
            var program = [UInt8](repeating: 0, count: 2 * MemoryLayout<UnsafeRawPointer>.size)
            withUnsafeBytes(of: UInt16(instructions.count)) { program.replaceSubrange(0..<2, with: $0) }
            withUnsafeBytes(of: filterBytes.baseAddress) {
                program.replaceSubrange(MemoryLayout<UnsafeRawPointer>.size..<program.count, with: $0)
            }
            let result = program.withUnsafeBytes {
                setsockopt(descriptor, SOL_SOCKET, attachOption, $0.baseAddress, socklen_t($0.count))
            }
            return result == 0 ? 0 : errno
        }
    }

    /// Runs the program on `payload` as the kernel would (a reference interpreter of the
    /// instructions above, for tests and documentation): the index it returns, which the kernel
    /// uses when it is below the group's size and otherwise replaces with its hash.
    static func run(on payload: [UInt8]) -> UInt32 {
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < instructions.count {
            let instruction = instructions[pc]
            pc += 1
            switch instruction.code {
            case loadLength:
                accumulator = UInt32(payload.count)
            case loadByte:
                let offset = Int(instruction.operand)
                guard offset < payload.count else { return 0 }  // a load past the end ends with 0
                accumulator = UInt32(payload[offset])
            case jumpIfAtLeast:
                pc += Int(accumulator >= instruction.operand ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case jumpIfEqual:
                pc += Int(accumulator == instruction.operand ? instruction.jumpIfTrue : instruction.jumpIfFalse)
            case shiftRight:
                accumulator >>= instruction.operand
            case returnA:
                return accumulator
            case returnK:
                return instruction.operand
            default:
                return 0
            }
        }
        return 0
    }
}
