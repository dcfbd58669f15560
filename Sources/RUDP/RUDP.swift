// The SwiftNIO transport and public async API live in this module (see issue: transport).
@_exported import RUDPCore
