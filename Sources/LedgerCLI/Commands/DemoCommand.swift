import ArgumentParser
import Foundation
import LedgerApp

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Play a whole operation (placeholder).")
    func run() throws {}
}
