// The public API speaks in the engine's types (ConnectionConfiguration, ConnectionID,
// DeliveryMode, ReceivedMessage, CloseReason, statistics), so importing RUDP brings them along.
@_exported import RUDPCore
// RUDPConfiguration.security takes RUDPSecurity's SecurityConfiguration, PreSharedKey and SecurityMode.
@_exported import RUDPSecurity
