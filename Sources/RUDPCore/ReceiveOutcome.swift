/// What the last datagram handed to a ``Connection`` did, as far as the ``Endpoint``'s address
/// bookkeeping needs to know (`Specs/PROTOCOL.md` sections 7.4 and 7.6). Reset at the start of
/// every datagram; all false for one that was dropped (malformed, forged, replayed, duplicate).
struct ReceiveOutcome {
    /// A DATA packet was accepted: it verified, parsed and was not a duplicate.
    var newPacket = false
    /// It was also the largest packet number received so far on the connection.
    var newLargest = false
    /// It carried a PATH_RESPONSE echoing a challenge of the validation under way.
    var pathResponseMatched = false
    /// After it, a validation of a candidate address is under way (filled in when the endpoint
    /// reads the outcome, ``Connection/lastReceive``, so that it need not ask again).
    var isValidatingPath = false
}
