// HangGuard and withHangGuard, shared by the test targets that run sockets and processes.
@_exported import RUDPTestSupport
