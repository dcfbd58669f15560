/// The congestion controller of one connection, held concretely: the built-in controllers
/// (Westwood+, NewReno) are called directly, with no existential box or witness table on the
/// per-packet path. A controller of another type from
/// ``ConnectionConfiguration/congestionControllerFactory`` still works, through the protocol.
///
/// Every connection holds one, so it stores one controller's worth: NewReno runs in the
/// NewReno part of the Westwood value (Westwood+ is NewReno with another loss reduction), and a
/// custom controller is boxed (one word here, an allocation only for connections that use one).
/// Holding both built-ins and the existential side by side cost 80 bytes of every connection.
struct CongestionControl {
    private enum Algorithm { case westwood, newReno, custom }

    /// A controller of another type, by reference. The box is the connection's own (the state
    /// it is in is never copied: ``Connection`` owns it behind a pointer).
    private final class Custom {
        var controller: any CongestionController
        init(_ controller: any CongestionController) { self.controller = controller }
    }

    private var algorithm: Algorithm
    /// Westwood+; with `.newReno`, only its NewReno part (``WestwoodCongestionController/reno``) is used.
    private var westwood: WestwoodCongestionController
    private var custom: Custom?

    private var newReno: NewRenoCongestionController {
        @inline(__always) _read { yield westwood.reno }
        @inline(__always) _modify { yield &westwood.reno }
    }

    /// Adopts the controller a factory made (checked for the built-in types once, here).
    init(_ controller: any CongestionController) {
        let placeholder = controller.window
        if let w = controller as? WestwoodCongestionController {
            algorithm = .westwood
            westwood = w
            custom = nil
        } else if let r = controller as? NewRenoCongestionController {
            algorithm = .newReno
            westwood = WestwoodCongestionController(maxDatagramSize: r.maxDatagramSize)
            westwood.reno = r
            custom = nil
        } else {
            algorithm = .custom
            westwood = WestwoodCongestionController(maxDatagramSize: max(1, placeholder))
            custom = Custom(controller)
        }
    }

    /// Congestion window in bytes.
    var window: Int {
        switch algorithm {
        case .westwood: return westwood.window
        case .newReno: return newReno.window
        case .custom: return custom!.controller.window
        }
    }

    /// The controller's name, for statistics.
    var name: String {
        switch algorithm {
        case .westwood: return westwood.name
        case .newReno: return newReno.name
        case .custom: return custom!.controller.name
        }
    }

    mutating func onPacketSent(bytes: Int, at now: UInt64) {
        switch algorithm {
        case .westwood, .newReno: break   // both ignore it
        case .custom: custom!.controller.onPacketSent(bytes: bytes, at: Timestamp(nanoseconds: now))
        }
    }

    mutating func onPacketAcknowledged(bytes: Int, sentTime: UInt64, at now: UInt64) {
        switch algorithm {
        case .westwood: westwood.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        case .newReno: newReno.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        case .custom: custom!.controller.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        }
    }

    mutating func onCongestionEvent(newestLostSentTime: UInt64, at now: UInt64) {
        let sent = Timestamp(nanoseconds: newestLostSentTime), at = Timestamp(nanoseconds: now)
        switch algorithm {
        case .westwood: westwood.onCongestionEvent(newestLostSentTime: sent, at: at)
        case .newReno: newReno.onCongestionEvent(newestLostSentTime: sent, at: at)
        case .custom: custom!.controller.onCongestionEvent(newestLostSentTime: sent, at: at)
        }
    }

    mutating func onPersistentCongestion() {
        switch algorithm {
        case .westwood: westwood.onPersistentCongestion()
        case .newReno: newReno.onPersistentCongestion()
        case .custom: custom!.controller.onPersistentCongestion()
        }
    }
}
