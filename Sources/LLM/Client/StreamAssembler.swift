import Contracts

/// Builds the whole answer of a stream from its chunks, as a non-streaming call would
/// have returned it.
struct StreamAssembler {
    private struct Choice {
        var role: String?
        var content = ""
        var finishReason: String?
    }

    private var first: ChatChunk?
    private var choices: [Int: Choice] = [:]
    private var usage: ChatUsage?
    /// Whether some choice ended (`finish_reason`): the answer is complete even if the
    /// provider then closes without `[DONE]`.
    private(set) var finished = false

    mutating func add(_ chunk: ChatChunk) {
        if first == nil { first = chunk }
        if let usage = chunk.usage { self.usage = usage }
        for part in chunk.choices {
            var choice = choices[part.index] ?? Choice()
            if let role = part.delta.role { choice.role = role }
            if let content = part.delta.content { choice.content += content }
            if let reason = part.finishReason {
                choice.finishReason = reason
                finished = true
            }
            choices[part.index] = choice
        }
    }

    /// Nil when no chunk carried a choice.
    var completion: ChatCompletion? {
        guard let first, !choices.isEmpty else { return nil }
        return ChatCompletion(
            id: first.id, created: first.created, model: first.model,
            choices: choices.sorted { $0.key < $1.key }.map { index, choice in
                ChatCompletion.Choice(
                    index: index, message: ChatMessage(role: choice.role ?? "assistant", content: choice.content),
                    finishReason: choice.finishReason)
            },
            usage: usage)
    }
}
