// The engine's API speaks in the codec's types (ConnectionID, DeliveryMode, CloseCode, ...),
// so importing RUDPCore brings them along.
@_exported import RUDPWire
