import Benchmark
import LLM

/// An OpenAI streaming chat completion as `ChatClient` receives it: a role chunk, one
/// `data:` chunk per token of a 300-token answer, the finish chunk, the usage chunk and
/// `[DONE]`, in 1 KiB network buffers whose edges fall inside lines.
let buffers: [ArraySlice<UInt8>] = {
    let words = """
        Sure! Here is a short plan for your week in Berlin. On Monday, visit the dentist \
        near Prenzlauer Berg at 9:30. On Tuesday, call the landlord about the heating, \
        and ask whether the repair can happen before the weekend. On Wednesday, \
        try the café on Kastanienallee that Ana recommended.\\n\\n
        """.split(separator: " ")
    let head = #"{"id":"chatcmpl-AZ3kQ9vX2b","object":"chat.completion.chunk","created":1765000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0aa8d3e20b","choices":"#
    func event(_ choices: String, usage: String = "null") -> String {
        "data: \(head)\(choices),\"usage\":\(usage)}\n\n"
    }
    func delta(_ delta: String, finish: String = "null") -> String {
        event(#"[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]"#)
    }
    var stream = delta(#"{"role":"assistant","content":"","refusal":null}"#)
    for index in 0..<300 {
        stream += delta(#"{"content":" \#(words[index % words.count])"}"#)
    }
    stream += delta("{}", finish: #""stop""#)
    stream += event("[]", usage: #"{"prompt_tokens":412,"completion_tokens":300,"total_tokens":712}"#)
    stream += "data: [DONE]\n\n"
    let bytes = Array(stream.utf8)
    return stride(from: 0, to: bytes.count, by: 1024).map { bytes[$0..<min($0 + 1024, bytes.count)] }
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal])

    Benchmark("SSEParser 304-event chat stream") { benchmark in
        for _ in benchmark.scaledIterations {
            var parser = SSEParser()
            for buffer in buffers {
                blackHole(try buffer.withUnsafeBytes { try parser.feed($0) })
            }
        }
    }
}
