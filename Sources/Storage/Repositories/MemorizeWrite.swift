public import Logging
public import PostgresNIO

/// Everything one memorize job stores, in one transaction: the conversation's messages,
/// its new and restated memory items, the rows of the jobs it spawns and its result. A
/// redelivered job finds all of it or none.
public struct MemorizeWrite: Sendable {
    public struct Conversation: Sendable {
        public var tenantID: String
        public var userID: String
        public var agentID: String?
        public var resourceID: String?
        public var jobID: String
        public var messages: [MessageRepository.NewMessage]
        public var items: [MemoryRepository.NewItem]
        /// Items the job restated as they are: reinforced, not stored again.
        public var restated: [String]

        public init(
            tenantID: String, userID: String, agentID: String?, resourceID: String?, jobID: String,
            messages: [MessageRepository.NewMessage], items: [MemoryRepository.NewItem], restated: [String]
        ) {
            self.tenantID = tenantID
            self.userID = userID
            self.agentID = agentID
            self.resourceID = resourceID
            self.jobID = jobID
            self.messages = messages
            self.items = items
            self.restated = restated
        }
    }

    /// What the transaction stored, as the rows are now (a redelivery sees the first
    /// delivery's rows: compare their job ids with the job's).
    public struct Stored: Sendable {
        public var messages: [MessageRepository.Stored]
        public var items: MemoryRepository.Recorded
        public var reinforced: [String]
    }

    /// What the job spawns and reports, decided from what was stored.
    public struct Plan: Sendable {
        public var childJobIDs: [String]
        public var childType: String
        public var resultJSON: String

        public init(childJobIDs: [String], childType: String, resultJSON: String) {
            self.childJobIDs = childJobIDs
            self.childType = childType
            self.resultJSON = resultJSON
        }
    }

    public let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Stores `conversation`, then the child jobs and result `plan` derives from what was
    /// stored; returns what was stored and what `plan` made besides.
    public func store<Spawned: Sendable>(
        _ conversation: Conversation, logger: Logger, plan: (Stored) throws -> (Plan, Spawned)
    ) async throws -> (Stored, Spawned) {
        let memories = MemoryRepository(client: client)
        let origin = MemoryRepository.Origin.job(conversation.jobID)
        return try await client.withTransaction(logger: logger) { connection in
            let stored = Stored(
                messages: try await MessageRepository.record(
                    conversation.messages, tenantID: conversation.tenantID, userID: conversation.userID,
                    agentID: conversation.agentID, resourceID: conversation.resourceID, jobID: conversation.jobID,
                    on: connection, logger: logger),
                items: try await memories.record(
                    conversation.items, tenantID: conversation.tenantID, userID: conversation.userID,
                    agentID: conversation.agentID, resourceID: conversation.resourceID, source: conversation.jobID,
                    origin: origin, on: connection, logger: logger),
                reinforced: try await memories.reinforce(
                    ids: conversation.restated, tenantID: conversation.tenantID, userID: conversation.userID,
                    source: conversation.jobID, origin: origin, on: connection, logger: logger))
            let (plan, spawned) = try plan(stored)
            try await JobRepository.insertChildren(
                ids: plan.childJobIDs, tenantID: conversation.tenantID, type: plan.childType, userID: conversation.userID,
                parentID: conversation.jobID, on: connection, logger: logger)
            try await JobRepository.recordResult(id: conversation.jobID, resultJSON: plan.resultJSON, on: connection, logger: logger)
            return (stored, spawned)
        }
    }
}
