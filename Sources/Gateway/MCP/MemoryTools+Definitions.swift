import MCP

extension MemoryTools {
    private static let id: Value = ["type": "string", "minLength": 1, "maxLength": 256]

    /// What `tools/list` shows: each tool with its JSON input schema (docs/mcp.md).
    static let tools: [Tool] = [
        Tool(
            name: "memorize",
            description: """
                Remember a conversation for a user: memgrid extracts memories from the messages and stores them with \
                the messages. Waits for the job (wait_seconds, default 30) and returns it: status succeeded with the \
                created, updated and reinforced memory ids, or still queued/running when the wait ran out.
                """,
            inputSchema: [
                "type": "object", "required": ["user_id", "messages"], "additionalProperties": false,
                "properties": [
                    "user_id": id, "agent_id": id,
                    "messages": [
                        "type": "array", "minItems": 1, "maxItems": 500,
                        "items": [
                            "type": "object", "required": ["role", "content"],
                            "properties": [
                                "role": ["type": "string", "enum": ["user", "assistant", "system", "tool"]],
                                "content": ["type": "string", "minLength": 1],
                                "name": ["type": "string"],
                                "created_at": ["type": "string", "format": "date-time"],
                            ],
                        ],
                    ],
                    "occurred_at": ["type": "string", "format": "date-time", "description": "When the conversation happened; default now."],
                    "time_zone": ["type": "string", "description": "The user's IANA time zone, e.g. Asia/Shanghai."],
                    "wait_seconds": ["type": "integer", "minimum": 0, "maximum": .int(maxWaitSeconds)],
                ],
            ]),
        Tool(
            name: "retrieve",
            description: """
                Find what memgrid remembers about a user that is relevant to a query: memories and conversation \
                excerpts, best first. format "context" returns one prompt-ready text within max_tokens.
                """,
            inputSchema: [
                "type": "object", "required": ["user_id", "query"], "additionalProperties": false,
                "properties": [
                    "user_id": id, "agent_id": id,
                    "query": ["type": "string", "minLength": 1, "maxLength": 8192],
                    "top_k": ["type": "integer", "minimum": 1, "maximum": 100],
                    "format": ["type": "string", "enum": ["hits", "context"]],
                    "max_tokens": ["type": "integer", "minimum": 1, "maximum": 32768],
                    "include": ["type": "array", "items": ["type": "string", "enum": ["memories", "messages"]]],
                    "time_zone": ["type": "string"],
                ],
            ]),
        Tool(
            name: "list_memories",
            description: "List a user's current memories, newest first, a page at a time (pass next_cursor back as cursor).",
            inputSchema: [
                "type": "object", "required": ["user_id"], "additionalProperties": false,
                "properties": [
                    "user_id": id, "agent_id": id,
                    "type": ["type": "string", "description": "profile, event, preference, …"],
                    "category": ["type": "string"],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 100],
                    "cursor": ["type": "string"],
                    "include_superseded": ["type": "boolean"],
                ],
            ]),
        Tool(
            name: "get_memory",
            description: "One memory by its id.",
            inputSchema: ["type": "object", "required": ["id"], "additionalProperties": false, "properties": ["id": id]]),
        Tool(
            name: "delete_memory",
            description: "Delete one memory by its id (it stays in its history).",
            inputSchema: ["type": "object", "required": ["id"], "additionalProperties": false, "properties": ["id": id]]),
        Tool(
            name: "list_categories",
            description: "A user's memory categories with their summaries.",
            inputSchema: ["type": "object", "required": ["user_id"], "additionalProperties": false, "properties": ["user_id": id]]),
    ]
}
