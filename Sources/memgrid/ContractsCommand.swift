import ArgumentParser
import Contracts
import Foundation

struct ContractsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "The wire contract.",
        subcommands: [Schema.self])

    struct Schema: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (draft 2020-12) of every wire type, keyed by type name.")

        func run() async throws {
            FileHandle.standardOutput.write(try WireSchemas.document())
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
