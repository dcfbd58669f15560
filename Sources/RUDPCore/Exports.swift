// The engine's API speaks in the codec's types (ConnectionID, DeliveryMode, CloseCode, ...),
// so importing RUDPCore brings them along.
@_exported import RUDPWire

// Messages are carried as NIOCore's `ByteBuffer` (sent and delivered without intermediate
// copies), so importing RUDPCore brings that type along too.
@_exported import struct NIOCore.ByteBuffer
@_exported import struct NIOCore.ByteBufferAllocator
