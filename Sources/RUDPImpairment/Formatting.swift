import RUDPCore

/// `d` in milliseconds, exact to the nanosecond, e.g. `12.5ms`.
func formatDuration(_ d: Duration) -> String {
    "\(Double(d.nanosecondsClamped) / 1e6)ms"
}

/// `t` in milliseconds since the origin, e.g. `t=1500.0ms`.
func formatTime(_ t: Timestamp) -> String {
    t.description
}
