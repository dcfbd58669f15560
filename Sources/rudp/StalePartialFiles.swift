import Foundation

/// The temporary files of `rudp recv`: `<output>.rudp-partial-<PID>`, next to `--output`. One
/// left by a recv that could not clean up (SIGKILL, a crash, power loss) is removed by the next
/// recv to the same `--output`, which says so; one whose process still runs is left alone.
///
/// ```swift
/// for note in StalePartialFiles.clean(besides: "copy.bin") { print(note) }
/// let partial = StalePartialFiles.path(for: "copy.bin", process: getpid())
/// ```
enum StalePartialFiles {
    /// The marker between the output's name and the process ID.
    static let marker = ".rudp-partial-"

    /// The temporary file of the recv with process ID `process` saving to `output`.
    static func path(for output: String, process: Int32) -> String {
        "\(output)\(marker)\(process)"
    }

    /// Removes the temporary files for `output` whose process is gone; returns a note for each
    /// file removed or left alone.
    static func clean(besides output: String) -> [String] {
        let url = URL(fileURLWithPath: output)
        let directory = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + marker
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var notes: [String] = []
        for name in names.sorted() where name.hasPrefix(prefix) {
            guard let process = Int32(name.dropFirst(prefix.count)), process > 0 else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            if isRunning(process) {
                notes.append("'\(path)' belongs to a running process \(process) (another rudp recv?); left alone")
            } else if unlink(path) == 0 {
                notes.append("removed '\(path)', an incomplete file left by an interrupted rudp recv (process \(process))")
            } else {
                notes.append(
                    "cannot remove '\(path)', an incomplete file left by an interrupted rudp recv: \(String(cString: strerror(errno)))")
            }
        }
        return notes
    }

    /// Whether a process with this ID exists (a recv killed long ago may share its ID with a
    /// new process: the file is then kept, which is safe).
    static func isRunning(_ process: Int32) -> Bool {
        kill(process, 0) == 0 || errno == EPERM
    }
}
