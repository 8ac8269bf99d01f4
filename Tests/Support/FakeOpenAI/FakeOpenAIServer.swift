// The fake OpenAI-compatible provider; see FakeOpenAIServer.
