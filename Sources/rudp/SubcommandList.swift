import ArgumentParser

extension RUDPCommand {
    /// Every subcommand, each defined in its own file (one line each; keep the order).
    static var subcommandList: [any ParsableCommand.Type] {
        [
            EchoServerCommand.self,
            EchoClientCommand.self,
            SendCommand.self,
            RecvCommand.self,
            DemoCommand.self,
            BenchCommand.self,
            ProxyCommand.self,
            SimulateCommand.self,
            KeygenCommand.self,
        ]
    }
}
