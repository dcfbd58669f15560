import Foundation

/// Where `rudp simulate --chart` writes its SVG, claimed before the simulation runs: a temporary
/// file next to the path is created at once (so an unwritable path fails in a moment, not after
/// the whole simulation) and renamed into place once the chart is drawn.
///
/// ```swift
/// let file = try ChartFile(path: "loss.svg")   // throws now if loss.svg cannot be written
/// // ... simulate ...
/// try file.write(svg)
/// ```
struct ChartFile {
    /// The path the chart goes to.
    let path: String
    /// The temporary file next to it.
    let temporaryPath: String

    /// Creates the temporary file next to `path`, or throws a message that names the path and
    /// the system's reason.
    init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SimulateFailure(description: "cannot write the chart to \(path): it is a directory")
        }
        temporaryPath = "\(path).rudp-partial-\(getpid())"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else {
            throw SimulateFailure(description: "cannot write the chart to \(path): \(String(cString: strerror(errno)))")
        }
        close(descriptor)
    }

    /// Writes `svg` and renames it into place.
    func write(_ svg: String) throws {
        do {
            try svg.write(toFile: temporaryPath, atomically: false, encoding: .utf8)
        } catch {
            discard()
            throw SimulateFailure(description: "cannot write the chart to \(path): \(error.localizedDescription)")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw SimulateFailure(description: "cannot write the chart to \(path): \(reason)")
        }
    }

    /// Removes the temporary file (the simulation failed).
    func discard() {
        unlink(temporaryPath)
    }
}
