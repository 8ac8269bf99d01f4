import Contracts
import Foundation
import Memory
import Messaging
import PostgresNIO
import Storage
import WorkerRuntime

/// `memorize.v1`: conversation → its messages stored verbatim, and typed memory items
/// citing them (a repeated fact reinforces, a changed one supersedes the old: by slot
/// with the rules, by the model's word with an LLM), all idempotently → embed jobs for
/// the new messages and items → `memory.created` events (`memory.superseded` through
/// the outbox).
///
/// Everything published afterwards has an id derived from the job id, so a redelivered
/// job re-sends the same messages and every consumer deduplicates them.
struct MemorizeJobHandler: JobHandler {
    let type = JobCatalog.memorize
    let database: PostgresClient
    let extraction: MemoryExtraction
    let publisher: Publisher
    let topology: Topology

    func handle(_ job: JobEnvelope<MemorizeJob>, context: JobContext) async throws {
        let payload = job.payload
        let (extracted, extractor) = try await extraction.extract(job, context: context)
        let conversationTime = payload.occurredAt ?? job.createdAt
        let messages = payload.messages.enumerated().map { position, message in
            let previous = position > 0 ? payload.messages[position - 1] : nil
            return MessageRepository.NewMessage(
                messageID: MemorizeJob.messageID(message, at: position, jobID: job.id), position: position, role: message.role.rawValue,
                name: message.name, content: message.content, sentAt: message.createdAt ?? conversationTime,
                context: previous.map { MessageRepository.speakerLine(name: $0.name, role: $0.role.rawValue, content: $0.content) })
        }
        var items: [MemoryRepository.NewItem] = []
        var restated: [String] = []
        for memory in extracted {
            let sources = memory.messageIndices.filter(messages.indices.contains)
            if case .reinforce(let id) = memory.action {
                restated.append(id)
                continue
            }
            var supersedes: [String] = []
            if case .supersede(let id) = memory.action { supersedes = [id] }
            // The rules' statements name their speaker; an LLM decides supersession itself.
            let slot = extractor == "rules" ? MemorySlot.of(memory.text, subject: sources.first.flatMap { messages[$0].name }) : nil
            items.append(MemoryRepository.NewItem(
                type: memory.type.rawValue, text: memory.text,
                contentHash: MemoryRepository.contentHash(ofNormalized: MemoryText.normalized(memory.text)),
                categories: memory.categories, happenedAt: memory.happenedAt, messageIDs: sources.map { messages[$0].messageID },
                validFrom: sources.map { messages[$0].sentAt }.max() ?? conversationTime, slot: slot, supersedes: supersedes))
        }
        let logger = context.logger
        let conversation = MemorizeWrite.Conversation(
            tenantID: job.tenantID, userID: payload.userID, agentID: payload.agentID, resourceID: payload.resourceID, jobID: job.id,
            messages: messages, items: items, restated: restated)
        let (written, embedJobs) = try await StorageFailure.classifying { try await Telemetry.withDatabaseSpan(
            "postgresql", operation: "INSERT", collection: "memory_items"
        ) { try await MemorizeWrite(client: database).store(conversation, logger: logger) { written in
            let stored = written.items.items
            let created = stored.filter { $0.sourceJobID == job.id }
            // Only the job that first stored a message embeds it; blank ones are kept but have no vector.
            let texts = Dictionary(messages.map { ($0.messageID, $0.embeddedText) }, uniquingKeysWith: { first, _ in first })
            let newMessages = written.messages.filter { $0.jobID == job.id }.compactMap { message in
                texts[message.messageID].flatMap { text in
                    text.allSatisfy(\.isWhitespace) ? nil : EmbedJob.Item(target: .init(kind: .message, id: message.id), text: text)
                }
            }
            let embedJobs = Self.embedJobs(
                for: newMessages + created.map { EmbedJob.Item(target: .init(kind: .memoryItem, id: $0.id), text: $0.text) }, parent: job)
            let result = MemorizeResult(
                created: created.map(\.id), reinforced: stored.filter { $0.sourceJobID != job.id }.map(\.id) + written.reinforced,
                superseded: written.items.superseded.map(\.id), embedJobID: embedJobs.first?.id, extractor: extractor)
            let plan = MemorizeWrite.Plan(
                childJobIDs: embedJobs.map(\.id), childType: JobCatalog.embed.description,
                resultJSON: String(decoding: try WireJSON.encoder().encode(result), as: UTF8.self))
            return (plan, embedJobs)
        } } }
        let stored = written.items.items
        let events = stored.filter { $0.sourceJobID == job.id }.map { item in
            EventEnvelope(
                id: "\(item.id):\(EventCatalog.memoryCreated.name)", tenantID: job.tenantID, correlationID: job.id, trace: TraceContext.current ?? job.trace,
                payload: MemoryCreated(
                    memoryID: item.id, userID: item.userID, agentID: item.agentID, memoryType: item.type, categories: item.categories))
        }
        try await publisher.publish(
            try embedJobs.map { try OutgoingMessage.job($0, topology: topology) }
                + events.map { try OutgoingMessage.event($0, topology: topology) })
        context.summarize(["memories_created": "\(events.count)", "memories_stated": "\(stored.count)"])
        logger.debug("memorized", metadata: ["memory.created": "\(events.count)", "memory.stated": "\(stored.count)"])
    }

    /// Embed jobs for the new messages and items, at most `EmbedJob.maxItems` each, ids
    /// derived from the memorize job's.
    static func embedJobs(for items: [EmbedJob.Item], parent: JobEnvelope<MemorizeJob>) -> [JobEnvelope<EmbedJob>] {
        let base = String(parent.id.prefix(JobEnvelope<EmbedJob>.maxIDLength - 16))
        return stride(from: 0, to: items.count, by: EmbedJob.maxItems).enumerated().map { index, start in
            let chunk = items[start..<min(start + EmbedJob.maxItems, items.count)]
            return JobEnvelope(
                id: index == 0 ? "\(base):embed" : "\(base):embed:\(index)", tenantID: parent.tenantID, trace: TraceContext.current ?? parent.trace,
                payload: EmbedJob(items: Array(chunk)))
        }
    }
}
