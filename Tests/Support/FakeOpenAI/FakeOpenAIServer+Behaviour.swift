public import Contracts

extension FakeOpenAIServer {
    /// How the fake answers one request.
    public enum Behaviour: Sendable, Hashable {
        /// 200 with this answer. A streaming request gets it word by word, with keep-alive
        /// comment lines between the chunks, then a usage chunk and `[DONE]`.
        case reply(content: String, usage: ChatUsage)
        /// Like `reply`, but each word of a stream comes `gap` after the previous one (a
        /// non-streaming request waits for all the gaps): a slow provider.
        case pacedReply(content: String, usage: ChatUsage, gap: Duration)
        /// An OpenAI-style error body with this status and optional `Retry-After`.
        case status(Int, retryAfter: String?, message: String)
        /// Answers `standardReply` only after this long, to outlast client timeouts.
        case hang(Duration)
        /// 200 with a body that is not JSON (a stream event that is not JSON when streaming).
        case malformed
        /// Streams this many content chunks, then `data: {"error": {...}}` and the end of the
        /// body. A non-streaming request gets a 500 with the message.
        case streamError(afterChunks: Int, message: String)
        /// Streams this many content chunks, then ends the body without a finish reason or
        /// `[DONE]`. A non-streaming request gets a cut-off JSON body.
        case streamTruncated(afterChunks: Int)

        /// 200 with this body as it is; a streaming request gets each of `events` as one
        /// data event, then `[DONE]`. For provider fields memgrid does not model.
        case raw(body: String, events: [String])

        /// A short answer with usage: the default behaviour.
        public static let standardReply = Behaviour.reply(content: "fake answer", usage: usage(prompt: 12, completion: 2))
    }

    /// How `usage` reports cached prompt tokens.
    public enum CachedSpelling: Sendable {
        /// `prompt_tokens_details.cached_tokens`
        case openAI
        /// `prompt_cache_hit_tokens` and `prompt_cache_miss_tokens`
        case deepSeek
    }

    public static func usage(prompt: Int, completion: Int, cached: Int = 0, spelling: CachedSpelling = .openAI) -> ChatUsage {
        switch spelling {
        case .openAI:
            return ChatUsage(promptTokens: prompt, completionTokens: completion, cachedTokens: cached)
        case .deepSeek:
            var usage = ChatUsage(promptTokens: prompt, completionTokens: completion)
            usage.promptCacheHitTokens = cached
            usage.promptCacheMissTokens = prompt - cached
            return usage
        }
    }
}
