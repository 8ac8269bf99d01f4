import Contracts
import Foundation
import Logging
import Storage

/// Memory-aware chat: a chat request with `"memory": {"user_id": …}`. Before the call, the
/// user's context block for the last user message goes in as a system message; after it,
/// the user's turn and the answer are memorized as one job whose id comes from the
/// request's idempotency key, so a retried request memorizes once.
struct ChatMemory: Sendable {
    /// Opens the injected system message (docs/api.md shows the whole format).
    static let preamble = "Memories of this user from earlier conversations (memgrid). Use them where they help; they may be incomplete."

    /// The request's `memory` object.
    struct Options: Sendable {
        static let defaultMaxTokens = 800
        static let fields: Set<String> = ["user_id", "agent_id", "max_tokens", "memorize"]

        var userID: String
        var agentID: String?
        var maxTokens = Options.defaultMaxTokens
        var memorize = true

        init(_ value: JSONValue) throws {
            guard let members = value.objectValue else { throw APIError.invalid("memory must be an object", param: "memory") }
            for name in members.keys.sorted() where !Self.fields.contains(name) {
                throw APIError.invalid("unrecognized request argument supplied: memory.\(name)", param: "memory.\(name)", code: "unknown_parameter")
            }
            guard let userID = members["user_id"]?.stringValue else {
                throw APIError.invalid("memory.user_id is required and must be a string", param: "memory.user_id")
            }
            try IDRules.check(userID, param: "memory.user_id")
            self.userID = userID
            if let agent = members["agent_id"], agent != .null {
                guard let agentID = agent.stringValue else { throw APIError.invalid("memory.agent_id must be a string", param: "memory.agent_id") }
                try IDRules.check(agentID, param: "memory.agent_id")
                self.agentID = agentID
            }
            if let tokens = members["max_tokens"], tokens != .null {
                guard let count = tokens.intValue, (1...RetrieveAPI.maxContextTokens).contains(count) else {
                    throw APIError.invalid("memory.max_tokens must be an integer from 1 to \(RetrieveAPI.maxContextTokens)", param: "memory.max_tokens")
                }
                maxTokens = count
            }
            if let flag = members["memorize"], flag != .null {
                guard case .bool(let memorize) = flag else { throw APIError.invalid("memory.memorize must be a boolean", param: "memory.memorize") }
                self.memorize = memorize
            }
        }
    }

    /// What one memory-aware call carries from before the model to after it.
    struct Turn: Sendable {
        var options: Options
        /// The last user message's text: the retrieval query and what is memorized.
        var userText: String
        /// Tokens of the injected system message (0 when the user has no relevant memory).
        var memoryTokens: Int
    }

    let retriever: Retriever
    let submitter: JobSubmitter

    /// Puts the user's context block into `request` after its leading system and
    /// developer messages (the agent's own instructions stay first). Nil when no user
    /// message has text: there is nothing to search for or to memorize.
    func inject(_ options: Options, into request: inout ChatRequest, tenantID: String, logger: Logger) async throws -> Turn? {
        let said = request.messages.last { $0.role == "user" }?.text.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !said.isEmpty else { return nil }
        if options.memorize, said.count > JobsAPI.maxMessageCharacters {
            throw APIError.invalid(
                "the last user message is longer than the \(JobsAPI.maxMessageCharacters) characters memorize takes", param: "messages")
        }
        let search = Retriever.Search(
            tenantID: tenantID, userID: options.userID, query: String(said.suffix(RetrieveAPI.maxQueryCharacters)), topK: 20,
            filter: try MemoryFilters().repositoryFilter(agentID: options.agentID), kinds: [.memory, .message], timeZone: .gmt)
        let block = retriever.context(
            from: try await retriever.retrieve(search, logger: logger), maxTokens: options.maxTokens, timeZone: .gmt)
        var turn = Turn(options: options, userText: said, memoryTokens: 0)
        guard !block.text.isEmpty else { return turn }
        let text = Self.preamble + "\n" + block.text
        turn.memoryTokens = retriever.tokens(in: text)
        let position = request.messages.firstIndex { !["system", "developer"].contains($0.role) } ?? request.messages.endIndex
        request.messages.insert(ChatMessage(role: "system", content: text), at: position)
        return turn
    }

    /// The memorize job of a call, the same for every retry of the request.
    static func jobID(tenantID: String, requestKey: String) -> String {
        JobSubmitter.jobID(tenantID: tenantID, idempotencyKey: "chat-memory:\(requestKey)")
    }

    /// Memorizes the user's turn and the answer's text (cut to what memorize takes).
    /// Failures are logged, not thrown: the client has its answer already.
    func memorize(_ turn: Turn, answer: ChatCompletion?, tenantID: String, requestKey: String, logger: Logger) async {
        var messages = [MemorizeJob.Message(role: .user, content: turn.userText)]
        let reply = String((answer?.text ?? "").prefix(JobsAPI.maxMessageCharacters))
        if !reply.allSatisfy(\.isWhitespace) { messages.append(MemorizeJob.Message(role: .assistant, content: reply)) }
        do {
            _ = try await submitter.submit(
                MemorizeJob(userID: turn.options.userID, agentID: turn.options.agentID, messages: messages, occurredAt: Date()),
                tenantID: tenantID, userID: turn.options.userID, idempotencyKey: "chat-memory:\(requestKey)", logger: logger)
        } catch {
            logger.error("memory-aware chat: memorizing the turn failed", metadata: [
                "tenant.id": "\(tenantID)", "job.id": "\(Self.jobID(tenantID: tenantID, requestKey: requestKey))", "error": "\(error)",
            ])
        }
    }
}
