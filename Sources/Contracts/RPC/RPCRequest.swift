/// A call over the broker's RPC queues (docs/contracts.md, "RPC"), declared once for
/// both sides: what the caller sends, the reply that ends the call, and the chunks a
/// streamed call sends before it. The caller uses `RPCClient.call`/`stream`, the
/// worker an `RPCHandler`; neither builds AMQP messages or compares type strings.
public protocol RPCRequest: RPCMessage {
    associatedtype Reply: RPCMessage
    /// What a streamed call sends before its reply; `Never` for a call that does not stream.
    associatedtype Chunk: RPCMessage = Never
    /// The work queue whose RPC queue answers the call (`Topology.rpcQueue`).
    static var queue: JobQueue { get }
}

/// A JSON body on an RPC queue, named by its AMQP `type`.
public protocol RPCMessage: Codable, Sendable {
    static var type: String { get }
}

/// The chunk type of a call that sends none.
extension Never: RPCMessage {
    public static var type: String { "none" }
}
