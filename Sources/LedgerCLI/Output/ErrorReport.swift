import CustodyDomain
import Foundation
import LedgerApp
import LedgerCore

/// How a failed command says why on standard error: one line for people, or under `--json` one JSON object with
/// the error's code (FORMAT.md §9).
enum ErrorReport {
    /// True when the command line asks for JSON output (`--json` before any `--`).
    static var wantsJSON: Bool {
        CommandLine.arguments.dropFirst().prefix { $0 != "--" }.contains("--json")
    }

    /// The JSON error object: `{"error":{"code", "exit_status", "http_status", "message", "rule"?, "field"?,
    /// "option"?}}`: the custody rule, the data member it is about, and the option that filled that member.
    static func json(_ error: LedgerError, option: String? = nil) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("code", .string(error.code.rawValue)),
            JSONMember("exit_status", .integer(Int64(error.code.exitStatus))),
            JSONMember("http_status", .integer(Int64(error.code.httpStatus))),
            JSONMember("message", .string(error.description)),
        ]
        if let violation = error.violation {
            members.append(JSONMember("rule", .string(violation.code.rawValue)))
            if let field = violation.field { members.append(JSONMember("field", .string(field))) }
        }
        if let option { members.append(JSONMember("option", .string(option))) }
        return .object([JSONMember("error", .object(members))])
    }

    /// Writes the error to standard error: the JSON object under `--json`, else `error: ` and one line.
    static func write(_ error: LedgerError, option: String? = nil) {
        let text =
            wantsJSON
            ? String(decoding: JCS.serialize(json(error, option: option)), as: UTF8.self)
            // One line, with any ledger value in it shown as the terminal shows values.
            : "error: \(VisibleText.escape(error.description))"
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
