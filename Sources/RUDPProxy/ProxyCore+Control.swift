extension ProxyCore {
    /// The answer to a control line, and whether the connection should close.
    struct ControlAnswer {
        var answer: String
        var closesConnection = false
    }

    /// Runs one control line (see ``ProxyControlCommand``).
    func execute(_ line: String) -> ControlAnswer {
        do {
            guard let command = try ProxyControlCommand.parse(line) else { return ControlAnswer(answer: "") }
            return try execute(command)
        } catch {
            return ControlAnswer(answer: "error: \(error)")
        }
    }

    private func execute(_ command: ProxyControlCommand) throws(ProxyError) -> ControlAnswer {
        switch command {
        case let .set(assignments):
            var updated = impairments
            for assignment in assignments {
                try ImpairmentSetting.apply(assignment, to: &updated)
            }
            try updated.validate()
            update(updated)
            return ControlAnswer(answer: "ok")
        case .clear:
            update(.none)
            return ControlAnswer(answer: "ok")
        case .reset:
            update(configuration.impairments)
            return ControlAnswer(answer: "ok")
        case let .partition(duration, directions):
            partition(for: duration, directions: directions)
            return ControlAnswer(answer: "ok")
        case .heal:
            heal()
            return ControlAnswer(answer: "ok")
        case let .rebind(client):
            return ControlAnswer(answer: "ok rebinding \(rebind(client)) flow(s)")
        case .statistics:
            return ControlAnswer(answer: statistics().jsonLine())
        case .show:
            let current = impairments
            return ControlAnswer(answer: "up: \(current.up) | down: \(current.down)")
        case .help:
            return ControlAnswer(answer: ProxyControlCommand.summary)
        case .quit:
            return ControlAnswer(answer: "bye", closesConnection: true)
        }
    }
}
