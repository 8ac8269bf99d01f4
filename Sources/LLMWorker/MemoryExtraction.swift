import Contracts
import Foundation
import LLM
import Logging
import Memory
import Storage
import WorkerRuntime

/// How `memorize` turns a conversation into memories: an LLM when a provider is
/// configured, else the documented offline rules (docs/extraction.md).
enum MemoryExtraction: Sendable {
    case rules(RuleBasedExtractor)
    case llm(LLMExtractor)

    /// The memories, and the extractor's name for the job's result (`rules`,
    /// `llm:<model>:extract_memories.v4`).
    func extract(_ job: JobEnvelope<MemorizeJob>, context: JobContext) async throws -> (memories: [ExtractedMemory], extractor: String) {
        let reference = job.payload.occurredAt ?? job.createdAt
        let zone = job.payload.timeZone.flatMap(TimeZone.init(identifier:))
        switch self {
        case .rules(let extractor):
            return (extractor.extract(job.payload.messages, reference: reference, timeZone: zone ?? .gmt), "rules")
        case .llm(let extractor):
            return try await extractor.extract(job, reference: reference, timeZone: zone, context: context)
        }
    }
}

/// Memorize with an LLM: the versioned extraction prompt with structured output, the
/// answer read by `MemoryExtractionOutput`. The prompt shows the user's current memories
/// most related to the conversation (`known`), so the model can reinforce or supersede
/// them instead of adding beside them. A malformed answer goes back to the model
/// with what was wrong, up to `maxRepairs` times; if it stays malformed the job fails
/// permanently with the reason (dead-lettered, replayable).
///
/// The answer is kept (`answers`) before anything is stored: a redelivered or retried
/// job reuses it, so the model is called, and paid, once per job, and every delivery
/// stores (and embeds) the same items.
struct LLMExtractor: Sendable {
    let router: ChatRouter
    /// The model asked for; "" = the configuration's default.
    let model: String
    /// `json_schema` (OpenAI structured output) or `json_object` (providers without it, e.g. DeepSeek).
    let structuredOutput: Bool
    let metering: LLMMetering
    let answers: JobExtractionRepository
    let known: KnownMemories
    var maxRepairs = 2

    func extract(
        _ job: JobEnvelope<MemorizeJob>, reference: Date, timeZone: TimeZone?, context: JobContext
    ) async throws -> (memories: [ExtractedMemory], extractor: String) {
        let logger = context.logger
        if let kept = try await StorageFailure.classifying({ try await answers.get(tenantID: job.tenantID, jobID: job.id, logger: logger) }) {
            logger.debug("reusing the job's extraction")
            return (try KeptMemory.decode(kept.memories), kept.extractor)
        }
        let fresh = try await ask(job, reference: reference, timeZone: timeZone, context: context)
        let kept = try await StorageFailure.classifying {
            try await answers.keep(
                .init(extractor: fresh.extractor, memories: try KeptMemory.encode(fresh.memories)),
                tenantID: job.tenantID, jobID: job.id, userID: job.payload.userID, logger: logger)
        }
        return (try KeptMemory.decode(kept.memories), kept.extractor)
    }

    private func ask(
        _ job: JobEnvelope<MemorizeJob>, reference: Date, timeZone: TimeZone?, context: JobContext
    ) async throws -> (memories: [ExtractedMemory], extractor: String) {
        let known = try await known.related(to: job, logger: context.logger)
        var messages = MemoryExtractionPrompt.messages(for: job.payload.messages, reference: reference, timeZone: timeZone, known: known)
        var problem = ""
        for _ in 0...maxRepairs {
            let request = ChatRequest(
                model: model, messages: messages, temperature: 0,
                responseFormat: structuredOutput ? MemoryExtractionPrompt.responseFormat : .init(type: "json_object"))
            let routed = try await metering.complete(
                request, router: router, tenantID: job.tenantID, jobID: job.id, purpose: "memorize")
            do {
                let memories = try MemoryExtractionOutput.parse(
                    routed.completion.text, messageCount: job.payload.messages.count, known: known)
                return (memories, "llm:\(routed.model):\(MemoryExtractionPrompt.version)")
            } catch {
                problem = error.message
                context.logger.info("extraction answer malformed; asking again", metadata: ["problem": "\(problem)"])
                messages += [
                    ChatMessage(role: "assistant", content: routed.completion.text),
                    ChatMessage(role: "user", content: "That answer was invalid: \(problem). Answer again with JSON only, in exactly the requested shape."),
                ]
            }
        }
        throw JobFailure.permanent("invalid_llm_output: \(problem) (\(maxRepairs + 1) answers)")
    }
}

/// An extracted memory as kept between deliveries of its job: with its action, which
/// names stored items and so is only meaningful to this job.
private struct KeptMemory: Codable {
    var memory: ExtractedMemory
    var action: String
    var target: String?

    static func encode(_ memories: [ExtractedMemory]) throws -> String {
        let kept = memories.map { memory in
            switch memory.action {
            case .add: KeptMemory(memory: memory, action: "add")
            case .reinforce(let id): KeptMemory(memory: memory, action: "reinforce", target: id)
            case .supersede(let id): KeptMemory(memory: memory, action: "supersede", target: id)
            }
        }
        return String(decoding: try WireJSON.encoder().encode(kept), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> [ExtractedMemory] {
        try WireJSON.decoder().decode([KeptMemory].self, from: Data(json.utf8)).map { kept in
            var memory = kept.memory
            switch (kept.action, kept.target) {
            case ("reinforce", let id?): memory.action = .reinforce(id)
            case ("supersede", let id?): memory.action = .supersede(id)
            default: memory.action = .add
            }
            return memory
        }
    }
}
