import ArgumentParser
import RUDPSecurity

/// `rudp keygen`: write a new pre-shared key file for authenticated or encrypted connections.
///
/// The file holds 64 lowercase hex digits (32 random bytes from libsodium's `randombytes_buf`)
/// and a newline, and is created with mode 0600 (`O_CREAT | O_EXCL`), so that only its owner can
/// read it; an existing file is replaced only with `--force`.
///
/// ```
/// rudp keygen --output rudp.key
/// rudp echo-server --port 9000 --psk-file rudp.key
/// RUDP_PSK=$(cat rudp.key) rudp echo-client --port 9000 Alice
/// ```
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new pre-shared key file, readable by its owner only.",
        discussion: """
            Writes 32 random bytes as 64 lowercase hex digits and a newline to --output, creating \
            the file with permissions 0600 (owner read/write only). An existing file is never \
            overwritten unless --force is given. The key is never printed.

            Both endpoints of a connection need the same key. Copy the file to the other host over \
            a secure channel (for example scp) and keep it mode 0600: a key file that group or \
            others can access is refused. Give the key to the other commands with --psk-file PATH, \
            or put the 64 hex digits in the RUDP_PSK environment variable. Each connection derives \
            its own session keys from the pre-shared key (Specs/SECURITY.md).

            Examples:
              rudp keygen --output rudp.key
              rudp echo-server --port 9000 --psk-file rudp.key
              RUDP_PSK=$(cat rudp.key) rudp echo-client --port 9000 Alice
            """
    )

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write the key file.", valueName: "path"))
    var output: String

    @Flag(help: "Replace --output if it exists already.")
    var force = false

    func run() throws {
        do {
            let key = try PreSharedKey.generate()
            try key.write(toFile: output, replacingExisting: force)
        } catch {
            throw CLIError(error.description)
        }
        print("wrote a new key to \(output) (mode 0600)")
    }
}
