/// Counters accumulated over one batch, handed to metrics once per batch.
struct BatchCounts {
    var datagramsReceived = 0
    var bytesReceived = 0
    var datagramsSent = 0
    var bytesSent = 0
    var retransmissions = 0
}
