import WorkerRuntime
import ArgumentParser
import Contracts
import Messaging
import Storage

extension DLQCommand {
    /// The filters every `dlq` command that selects several dead letters shares.
    struct Selection: ParsableArguments {
        @Option(name: .customLong("queue"), help: "Only this work queue's dead letters (embed, llm, proactive); repeatable.")
        var queues: [String] = []

        @Option(
            name: .customLong("reason"),
            help: ArgumentHelp("Only dead letters with this reason; repeatable.", discussion: DeadLetter.reasons.joined(separator: ", ")))
        var reasons: [String] = []

        @Option(help: "Only this tenant's dead letters.")
        var tenant: String?

        @Option(name: .customLong("older-than"), help: "Only those dead-lettered at least this long ago: 90s, 15m, 2h, 7d (a plain number is seconds).")
        var olderThan: Age?

        @Option(name: .customLong("newer-than"), help: "Only those dead-lettered at most this long ago (same format).")
        var newerThan: Age?

        @Option(name: .customLong("id"), help: "Only the dead letters with this message id (the job id); repeatable.")
        var ids: [String] = []

        func validate() throws {
            for reason in reasons where !DeadLetter.reasons.contains(reason) {
                throw ValidationError("--reason: one of \(DeadLetter.reasons.joined(separator: ", "))")
            }
            if let olderThan, let newerThan, olderThan.duration >= newerThan.duration {
                throw ValidationError("--older-than must be shorter than --newer-than, or nothing can match")
            }
        }

        /// The recorded dead letters these options select, every tenant's unless `--tenant`.
        func filter(in topology: Topology) throws -> DeadLetterRepository.Filter {
            DeadLetterRepository.Filter(
                queues: try queues(in: topology)?.map(\.rawValue) ?? [], reasons: reasons, messageIDs: ids, tenantID: tenant,
                olderThan: olderThan.map(\.seconds), newerThan: newerThan.map(\.seconds))
        }

        func requireFilter(or all: Bool) throws {
            let narrowed = !queues.isEmpty || !reasons.isEmpty || !ids.isEmpty || tenant != nil || olderThan != nil || newerThan != nil
            guard narrowed || all else {
                throw ValidationError("name what to act on (--queue, --reason, --tenant, --older-than, --newer-than, --id), or pass --all")
            }
        }

        func queues(in topology: Topology) throws -> [JobQueue]? {
            try Self.queues(queues, in: topology)
        }

        /// The named work queues, nil for all of them.
        static func queues(_ names: [String], in topology: Topology) throws -> [JobQueue]? {
            guard !names.isEmpty else { return nil }
            return try names.map { name in
                guard let queue = topology.queues.first(where: { $0.rawValue == name }) else {
                    throw ValidationError("--queue: one of \(topology.queues.map(\.rawValue).joined(separator: ", "))")
                }
                return queue
            }
        }
    }

    /// What `replay` and `purge` act on: the filters, a bound, and `--all` to act without
    /// a filter (so an unfiltered bulk action is never an accident).
    struct BulkSelection: ParsableArguments {
        @OptionGroup var selection: Selection

        @Option(help: "At most this many.")
        var limit: Int?

        @Flag(help: "Act on every dead letter of the queues read (needed when no filter is given).")
        var all = false

        func validate() throws {
            try selection.requireFilter(or: all)
            if let limit, limit < 1 { throw ValidationError("--limit: at least 1") }
        }
    }

    /// A length of time on the command line: `90`, `90s`, `15m`, `2h`, `7d`.
    struct Age: ExpressibleByArgument {
        let duration: Duration

        init?(argument: String) {
            let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            var digits = Substring(argument)
            var unit: Int64 = 1
            if let last = argument.last, let factor = units[last] {
                unit = factor
                digits = digits.dropLast()
            }
            guard let value = Int64(digits), value > 0, value <= Int64.max / unit / 1000 else { return nil }
            duration = .seconds(value * unit)
        }

        var seconds: Int { Int(duration.components.seconds) }
    }
}
