import Foundation
import RUDPExperiments
import Yams

/// Reads a ``ScenarioFile`` for `rudp simulate --scenario`: JSON (`.json`) with Foundation's
/// decoder, anything else as YAML with Yams. Errors name the file and what is wrong.
///
/// ```swift
/// var setup = ExperimentSetup()
/// try SimulateScenarioLoader.load(path: "Specs/scenarios/partition.yaml").apply(to: &setup)
/// ```
enum SimulateScenarioLoader {
    /// Why a scenario file could not be read.
    struct LoadError: Error, CustomStringConvertible {
        /// The file and the problem.
        var description: String
    }

    /// Largest scenario file accepted.
    static let maximumFileSize = 1 << 20

    /// Reads and decodes the file at `path`.
    static func load(path: String) throws(LoadError) -> ScenarioFile {
        let data: Data
        do {
            let url = URL(fileURLWithPath: path)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > maximumFileSize {
                throw LoadError(description: "scenario \(path) is larger than \(maximumFileSize) bytes")
            }
            data = try Data(contentsOf: url)
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(description: "cannot read scenario \(path): \(error.localizedDescription)")
        }
        do {
            if path.lowercased().hasSuffix(".json") {
                return try JSONDecoder().decode(ScenarioFile.self, from: data)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw LoadError(description: "scenario \(path) is not UTF-8 text")
            }
            return try YAMLDecoder().decode(ScenarioFile.self, from: text)
        } catch let error as LoadError {
            throw error
        } catch let error as DecodingError {
            throw LoadError(description: "scenario \(path): \(describe(error))")
        } catch {
            throw LoadError(description: "scenario \(path): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            return "\(context.debugDescription)\(path(context))\(underlying)"
        case let .keyNotFound(key, context):
            return "missing \(key.stringValue)\(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
