import RUDPCore

extension EndpointStatistics {
    /// Every counter, for sums over the workers of a server (a test checks that the list covers
    /// every stored property).
    static var counters: [WritableKeyPath<EndpointStatistics, Int>] {
        [
            \.datagramsReceived,
            \.bytesReceived,
            \.datagramsSent,
            \.bytesSent,
            \.malformedDatagrams,
            \.unroutableDatagrams,
            \.connectionsAccepted,
            \.connectionsRefused,
            \.refusedTableFull,
            \.refusedAddressLimit,
            \.refusedPrefixLimit,
            \.refusalsAnswered,
            \.halfOpenEvicted,
            \.handshakeAuthenticationFailures,
            \.retriesSent,
            \.invalidCookies,
            \.securityMismatchesAnswered,
            \.replayedHandshakes,
            \.statelessAnswersDropped,
            \.amplificationLimited,
            \.connectionsClosedForMemory,
            \.pathValidationsStarted,
            \.pathValidationsCancelled,
            \.pathMigrations,
            \.pathChallengesSent,
            \.pathChallengesLimited,
            \.pathResponsesFromOtherAddresses,
        ]
    }

    /// The counters of several endpoints (a multi-worker server's workers) added up.
    static func sum(_ parts: [EndpointStatistics]) -> EndpointStatistics {
        var total = EndpointStatistics()
        for part in parts {
            for counter in counters { total[keyPath: counter] += part[keyPath: counter] }
        }
        return total
    }
}
