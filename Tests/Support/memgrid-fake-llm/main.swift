// The fake OpenAI-compatible provider as a process, for the benchmark:
// `memgrid-fake-llm --port P --delay-ms D` prints `listening <port>` once ready and
// serves the standard reply after the delay until SIGTERM/SIGINT.
import FakeOpenAI
import Foundation

var port = 0
var delayMilliseconds = 0
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst().flatMap(Int.init), value >= 0, ["--port", "--delay-ms"].contains(flag) else {
        FileHandle.standardError.write(Data("usage: memgrid-fake-llm [--port P] [--delay-ms D]\n".utf8))
        exit(2)
    }
    if flag == "--port" { port = value } else { delayMilliseconds = value }
}

let server = FakeOpenAIServer(delay: .milliseconds(delayMilliseconds), recordsRequests: false)
try await server.serve(port: port) { port in
    FileHandle.standardOutput.write(Data("listening \(port)\n".utf8))   // unbuffered: the reader sees it at once
}
