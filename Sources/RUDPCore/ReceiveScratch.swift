/// The endpoint's buffer for opening secure datagrams: a secure DATA packet is verified and
/// decrypted from the caller's datagram into it and read in place from there, so receiving
/// allocates nothing per packet. One per secure endpoint (it handles one datagram at a time);
/// the memory is freed with it.
final class ReceiveScratch {
    /// ``RUDPWire/Packet/maximumDatagramSize`` bytes: room for any datagram the endpoint accepts.
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) {
        bytes = .allocate(byteCount: byteCount, alignment: 16)
    }

    deinit {
        bytes.deallocate()
    }
}
