/// The congestion controller of one connection, held concretely: the built-in controllers
/// (Westwood+, NewReno) are called directly, with no existential box or witness table on the
/// per-packet path. A controller of another type from
/// ``ConnectionConfiguration/congestionControllerFactory`` still works, through the protocol.
struct CongestionControl {
    private enum Algorithm { case westwood, newReno, custom }

    private var algorithm: Algorithm
    private var westwood: WestwoodCongestionController
    private var newReno: NewRenoCongestionController
    private var custom: (any CongestionController)?

    /// Adopts the controller a factory made (checked for the built-in types once, here).
    init(_ controller: any CongestionController) {
        let placeholder = controller.window
        if let w = controller as? WestwoodCongestionController {
            algorithm = .westwood
            westwood = w
            newReno = NewRenoCongestionController(maxDatagramSize: w.maxDatagramSize)
            custom = nil
        } else if let r = controller as? NewRenoCongestionController {
            algorithm = .newReno
            westwood = WestwoodCongestionController(maxDatagramSize: r.maxDatagramSize)
            newReno = r
            custom = nil
        } else {
            algorithm = .custom
            westwood = WestwoodCongestionController(maxDatagramSize: max(1, placeholder))
            newReno = NewRenoCongestionController(maxDatagramSize: max(1, placeholder))
            custom = controller
        }
    }

    /// Congestion window in bytes.
    var window: Int {
        switch algorithm {
        case .westwood: return westwood.window
        case .newReno: return newReno.window
        case .custom: return custom!.window
        }
    }

    /// The controller's name, for statistics.
    var name: String {
        switch algorithm {
        case .westwood: return westwood.name
        case .newReno: return newReno.name
        case .custom: return custom!.name
        }
    }

    mutating func onPacketSent(bytes: Int, at now: UInt64) {
        switch algorithm {
        case .westwood, .newReno: break  // both ignore it
        case .custom: custom!.onPacketSent(bytes: bytes, at: Timestamp(nanoseconds: now))
        }
    }

    mutating func onPacketAcknowledged(bytes: Int, sentTime: UInt64, at now: UInt64) {
        switch algorithm {
        case .westwood:
            westwood.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        case .newReno:
            newReno.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        case .custom:
            custom!.onPacketAcknowledged(bytes: bytes, sentTime: Timestamp(nanoseconds: sentTime), at: Timestamp(nanoseconds: now))
        }
    }

    mutating func onCongestionEvent(newestLostSentTime: UInt64, at now: UInt64) {
        let sent = Timestamp(nanoseconds: newestLostSentTime), at = Timestamp(nanoseconds: now)
        switch algorithm {
        case .westwood: westwood.onCongestionEvent(newestLostSentTime: sent, at: at)
        case .newReno: newReno.onCongestionEvent(newestLostSentTime: sent, at: at)
        case .custom: custom!.onCongestionEvent(newestLostSentTime: sent, at: at)
        }
    }

    mutating func onPersistentCongestion() {
        switch algorithm {
        case .westwood: westwood.onPersistentCongestion()
        case .newReno: newReno.onPersistentCongestion()
        case .custom: custom!.onPersistentCongestion()
        }
    }
}
