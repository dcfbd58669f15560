import ArgumentParser
import RUDP
import RUDPSecurity

/// The `--psk-file` and `--security` options shared by every command that opens connections
/// (echo-server, echo-client, send, recv, demo, bench), and the `RUDP_PSK` environment variable.
///
/// The key comes from `--psk-file PATH` when given, otherwise from `RUDP_PSK` (64 hex digits);
/// with neither, connections are plain (no protection) and `--security` is an error. The mode
/// is `--security` when given, otherwise encrypted. The key itself never appears on the command
/// line, and no error message ever contains it.
///
/// ```swift
/// struct MyCommand: AsyncParsableCommand {
///     @OptionGroup var securityOptions: SecurityOptions
///     func run() async throws {
///         var configuration = RUDPConfiguration()
///         configuration.security = try securityOptions.resolve()?.configuration
///     }
/// }
/// ```
struct SecurityOptions: ParsableArguments {
    /// The protection modes a user can ask for (no protection is the absence of a key).
    enum Mode: String, CaseIterable, ExpressibleByArgument, Sendable {
        case authenticated, encrypted

        /// The security layer's mode of the same name.
        var securityMode: SecurityMode {
            switch self {
            case .authenticated: return .authenticated
            case .encrypted: return .encrypted
            }
        }
    }

    /// A key and mode that were found, with where the key came from (for status lines).
    struct Resolved: Sendable, CustomStringConvertible {
        /// What goes into `RUDPConfiguration.security`.
        var configuration: SecurityConfiguration
        /// "key file 'PATH'" or "environment variable RUDP_PSK"; never the key.
        var keySource: String

        /// For example "encrypted (ChaCha20-Poly1305), key from key file 'rudp.key'".
        var description: String {
            "\(SecurityOptions.describe(configuration.mode)), key from \(keySource)"
        }
    }

    @Option(
        name: .customLong("psk-file"),
        help: ArgumentHelp(
            "Protect the connection with the pre-shared key in this file (64 hex digits, mode 0600, as written by `rudp keygen --output PATH`).",
            discussion: """
                Without --psk-file the key is read from the environment variable RUDP_PSK (the same \
                64 hex digits) if it is set; --psk-file wins when both are given. Never put the key \
                itself on the command line (other users can read it in the process list). Both \
                endpoints need the same key and mode; without any key the connection is not protected.
                """,
            valueName: "path"
        )
    )
    var pskFile: String?

    @Option(
        name: .customLong("security"),
        help: ArgumentHelp(
            "authenticated (packets carry a MAC, payload in clear) or encrypted (ChaCha20-Poly1305). Default: encrypted when a key is given; needs --psk-file or RUDP_PSK.",
            valueName: "mode"
        )
    )
    var mode: Mode?

    /// The environment variable read when `--psk-file` is not given.
    static let environmentVariable = PreSharedKey.environmentVariable

    /// The security configuration the options ask for, or nil for plain connections (no key
    /// anywhere and no `--security`).
    ///
    /// Throws a ``CLIError`` naming the problem and its fix (never the key) when the key file is
    /// missing, unreadable, accessible by others or malformed, when `RUDP_PSK` is malformed, or
    /// when `--security` is given without a key.
    ///
    /// `allowModeWithoutKey` lets `--security` stand alone (nil is returned; the caller makes its
    /// own key, as `rudp bench --compare-security` does).
    func resolve(
        environmentVariable: String = SecurityOptions.environmentVariable,
        allowModeWithoutKey: Bool = false
    ) throws(CLIError) -> Resolved? {
        let key: PreSharedKey?
        do {
            key = try PreSharedKey.load(file: pskFile, environmentVariable: environmentVariable)
        } catch {
            throw Self.explain(error, environmentVariable: environmentVariable)
        }
        guard let key else {
            if let mode, !allowModeWithoutKey {
                throw CLIError(
                    "--security \(mode.rawValue) needs a pre-shared key: give --psk-file PATH or set \(environmentVariable) "
                        + "(create a key with `rudp keygen --output rudp.key`)"
                )
            }
            return nil
        }
        let source = pskFile.map { "key file '\($0)'" } ?? "environment variable \(environmentVariable)"
        return Resolved(configuration: SecurityConfiguration(mode: (mode ?? .encrypted).securityMode, key: key), keySource: source)
    }

    /// The command-line fix to append to a failed connect: for a security mismatch, or for a
    /// connect timeout of a protected client (a wrong key looks like a silent server). Empty for
    /// other errors.
    static func connectHint(for error: any Error, security: Resolved?) -> String {
        guard let error = error as? RUDPError else { return "" }
        switch error.code {
        case .securityMismatch:
            break
        case .connectTimedOut where security != nil:
            break
        default:
            return ""
        }
        return
            " (on the command line: give both sides the same key with --psk-file PATH or \(environmentVariable), and the same --security mode)"
    }

    /// For a server that waited in vain: why peers that tried could not connect, from its
    /// endpoint counters (handshakes that failed authentication, peers with another security
    /// setting); empty when there were none.
    static func refusedPeersHint(_ statistics: EndpointStatistics) -> String {
        var reasons: [String] = []
        if statistics.handshakeAuthenticationFailures > 0 {
            reasons.append(
                "\(Format.count(statistics.handshakeAuthenticationFailures, "connection attempt")) failed authentication (a peer with another key)"
            )
        }
        if statistics.securityMismatchesAnswered > 0 {
            reasons.append(
                "\(Format.count(statistics.securityMismatchesAnswered, "connection attempt")) \(statistics.securityMismatchesAnswered == 1 ? "was" : "were") refused for another security setting (key on one side only, or another mode)"
            )
        }
        guard !reasons.isEmpty else { return "" }
        return "; " + reasons.joined(separator: ", ")
            + ": give both sides the same key with --psk-file PATH or \(environmentVariable), and the same --security mode"
    }

    /// A mode in words, for status lines.
    static func describe(_ mode: SecurityMode) -> String {
        switch mode {
        case .none: return "not protected"
        case .authenticated: return "authenticated (Poly1305 tag on every packet, payload in clear)"
        case .encrypted: return "encrypted (ChaCha20-Poly1305)"
        }
    }

    /// The security layer's error as a command-line error with the fix spelled out.
    /// `SecurityError` descriptions never contain key material; neither do the hints added here.
    static func explain(_ error: SecurityError, environmentVariable: String) -> CLIError {
        switch error.code {
        case .unreadableKeyFile:
            return CLIError("\(error) (check the --psk-file path, or create a key with `rudp keygen --output \(error.path ?? "PATH")`)")
        case .badKeyText:
            return CLIError("\(error); set it to the contents of a key file, for example \(environmentVariable)=$(cat rudp.key)")
        case .badKeyFile, .insecureKeyFilePermissions:
            return CLIError(error.description)
        default:
            return CLIError("cannot load the pre-shared key: \(error)")
        }
    }
}
