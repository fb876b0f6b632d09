import Foundation
import LedgerApp
import LedgerCore

/// A command's error with the option the user gave for the data member it is about (`--seal` for `data.seal`).
struct CommandError: Error {
    /// The error.
    let error: LedgerError
    /// The option that filled the member the error is about, if one did.
    let option: String?

    init(_ error: LedgerError, option: String?) {
        self.error = error
        self.option = option
    }
}

/// Errors in the user's terms: a data member an error names (`data.kind`, `data.source_hashes[0].value`) is named
/// as the option that filled it (`--kind`, `--source-sha256`).
///
/// Generic over commands: the option is found by the value, as the command line gave it, that the event's data
/// holds at that path. A member no option filled (a hash computed from a file, a default) keeps its data name.
struct UserTerms {
    /// Each option given and its value (`--kind laptop` and `--kind=laptop`), in command-line order.
    let options: [(name: String, value: String)]

    init(arguments: [String]) {
        var options: [(name: String, value: String)] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument.hasPrefix("--") {
                if let equals = argument.firstIndex(of: "=") {
                    options.append((String(argument[..<equals]), String(argument[argument.index(after: equals)...])))
                } else if index + 1 < arguments.count {
                    options.append((argument, arguments[index + 1]))
                }
            }
            index += 1
        }
        self.options = options
    }

    /// The option that gave the value at `path` of `data` (`data.seal`, `data.agencies[1]`), if one did.
    ///
    /// A value the command derived from what an option named (the key id of `--witness-key FILE`) is matched by the
    /// option named like the member.
    func option(for path: String, in data: JSONValue) -> String? {
        let member = path.split(whereSeparator: { $0 == "." || $0 == "[" }).last { !$0.hasSuffix("]") } ?? ""
        let likeMember = "--" + member.replacingOccurrences(of: "_", with: "-")
        let given = options.map(\.name)
        let text: String?
        switch Self.value(at: path, in: data) {
        case .string(let string): text = string
        case .integer(let number): text = String(number)
        default: text = nil
        }
        guard let text else { return given.contains(likeMember) ? likeMember : nil }
        // As given, else as the form normalized it (hex digits are recorded in lowercase).
        var candidates = options.filter { $0.value == text }.map(\.name)
        if candidates.isEmpty { candidates = options.filter { $0.value.lowercased() == text }.map(\.name) }
        if candidates.isEmpty { return given.contains(likeMember) ? likeMember : nil }
        // Two options with the same value: the one named like the member.
        return candidates.first { $0 == likeMember } ?? candidates[0]
    }

    /// The error with every data path in its text that an option filled replaced by that option.
    func rewrite(_ error: LedgerError, data: JSONValue) -> LedgerError {
        let text = error.description
        var result = ""
        var rest = Substring(text)
        var changed = false
        while let range = rest.range(of: "data.") {
            let precededByWord =
                range.lowerBound > rest.startIndex
                && rest[rest.index(before: range.lowerBound)].isLetter
            var end = range.upperBound
            // The path: member names, dots and [index] steps.
            while end < rest.endIndex,
                rest[end].isLetter || rest[end].isNumber || "_.[]".contains(rest[end])
            {
                end = rest.index(after: end)
            }
            var path = String(rest[range.lowerBound..<end])
            while path.hasSuffix(".") {
                path.removeLast()
                end = rest.index(before: end)
            }
            result += rest[..<range.lowerBound]
            if !precededByWord, let option = option(for: path, in: data) {
                result += option
                changed = true
            } else {
                result += path
            }
            rest = rest[end...]
        }
        guard changed else { return error }
        return error.with(description: result + rest)
    }

    /// The value at a path such as `data.source_hashes[0].value`.
    static func value(at path: String, in data: JSONValue) -> JSONValue? {
        guard path.hasPrefix("data") else { return nil }
        var current = data
        var rest = path.dropFirst("data".count)
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                guard let next = current.member(String(name)) else { return nil }
                current = next
                rest = rest.dropFirst(name.count)
            } else if rest.hasPrefix("[") {
                let digits = rest.dropFirst().prefix { $0.isNumber }
                guard let index = Int(digits), let array = current.arrayValue, index < array.count,
                    rest.dropFirst(1 + digits.count).hasPrefix("]")
                else { return nil }
                current = array[index]
                rest = rest.dropFirst(digits.count + 2)
            } else {
                return nil
            }
        }
        return current
    }
}
