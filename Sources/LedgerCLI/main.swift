import ArgumentParser
import Foundation
import LedgerApp
import LedgerCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Exit statuses (docs/FORMAT.md §9, `LedgerError`): 0 ok, 1 integrity failure, 2 usage or I/O error, 3 findings,
// 4 conflict, 5 refused by a rule.
do {
    var command = try LedgerCommand.parseAsRoot()
    try command.run()
    exit(0)
} catch let error as LedgerError {
    ErrorReport.write(error)
    exit(error.code.exitStatus)
} catch let failure as CommandError {
    ErrorReport.write(failure.error, option: failure.option)
    exit(failure.error.code.exitStatus)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let status = LedgerCommand.exitCode(for: error)
    if status == .success {
        print(LedgerCommand.fullMessage(for: error))
        exit(0)
    }
    // One line, like every other error: the parser's first line, without its own "Error:" prefix.
    let message = LedgerCommand.message(for: error)
    var line = message.split(separator: "\n").first.map(String.init) ?? ""
    if line.isEmpty { line = LedgerError.from(error).description }
    if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
    ErrorReport.write(.usage("\(line) (see --help)"))
    exit(LedgerError.Kind.usage.rawValue)
}
