import CRabbitMQ
import Foundation

/// Owns C copies of Swift strings and buffers for the length of one librabbitmq call,
/// so the `amqp_bytes_t` views handed to C stay valid and are freed together.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { free(pointer) }
    }

    func bytes(_ string: String) -> amqp_bytes_t {
        Array(string.utf8).withUnsafeBytes { copy($0) }
    }

    func bytes(_ data: Data) -> amqp_bytes_t {
        data.withUnsafeBytes { copy($0) }
    }

    private func copy(_ source: UnsafeRawBufferPointer) -> amqp_bytes_t {
        guard source.count > 0, let base = source.baseAddress else { return amqp_empty_bytes }
        let pointer = malloc(source.count)!
        pointer.copyMemory(from: base, byteCount: source.count)
        allocations.append(pointer)
        return amqp_bytes_t(len: source.count, bytes: pointer)
    }

    func table(_ headers: [String: HeaderValue]) -> amqp_table_t {
        guard !headers.isEmpty else { return amqp_empty_table }
        let entries = malloc(MemoryLayout<amqp_table_entry_t>.stride * headers.count)!
        allocations.append(entries)
        let typed = entries.bindMemory(to: amqp_table_entry_t.self, capacity: headers.count)
        for (index, (key, value)) in headers.sorted(by: { $0.key < $1.key }).enumerated() {
            typed[index] = amqp_table_entry_t(key: bytes(key), value: field(value))
        }
        return amqp_table_t(num_entries: Int32(headers.count), entries: typed)
    }

    private func field(_ value: HeaderValue) -> amqp_field_value_t {
        switch value {
        case .string(let string): memgrid_field_utf8(bytes(string))
        case .int(let int): memgrid_field_i64(int)
        case .bool(let bool): memgrid_field_bool(bool ? 1 : 0)
        }
    }
}

extension String {
    init(amqpBytes bytes: amqp_bytes_t) {
        guard bytes.len > 0, let base = bytes.bytes else {
            self = ""
            return
        }
        self = String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }
}

extension Data {
    init(amqpBytes bytes: amqp_bytes_t) {
        guard bytes.len > 0, let base = bytes.bytes else {
            self = Data()
            return
        }
        self = Data(bytes: base, count: bytes.len)
    }
}

extension MessageProperties {
    /// Reads the properties of a received content header.
    init(_ raw: amqp_basic_properties_t) {
        let flags = raw._flags
        func has(_ flag: UInt32) -> Bool { flags & flag != 0 }
        self.init(contentType: nil, persistent: false)
        if has(MEMGRID_PROP_CONTENT_TYPE) { contentType = String(amqpBytes: raw.content_type) }
        if has(MEMGRID_PROP_DELIVERY_MODE) { persistent = raw.delivery_mode == 2 }
        if has(MEMGRID_PROP_MESSAGE_ID) { messageID = String(amqpBytes: raw.message_id) }
        if has(MEMGRID_PROP_CORRELATION_ID) { correlationID = String(amqpBytes: raw.correlation_id) }
        if has(MEMGRID_PROP_REPLY_TO) { replyTo = String(amqpBytes: raw.reply_to) }
        if has(MEMGRID_PROP_EXPIRATION) { expiration = String(amqpBytes: raw.expiration) }
        if has(MEMGRID_PROP_TYPE) { type = String(amqpBytes: raw.type) }
        if has(MEMGRID_PROP_APP_ID) { appID = String(amqpBytes: raw.app_id) }
        if has(MEMGRID_PROP_TIMESTAMP) { timestamp = Date(timeIntervalSince1970: TimeInterval(raw.timestamp)) }
        if has(MEMGRID_PROP_HEADERS) { headers = Self.headers(raw.headers) }
    }

    private static func headers(_ table: amqp_table_t) -> [String: HeaderValue] {
        var headers: [String: HeaderValue] = [:]
        guard table.num_entries > 0, let entries = table.entries else { return headers }
        for index in 0..<Int(table.num_entries) {
            var entry = entries[index]
            let key = String(amqpBytes: entry.key)
            var integer: Int64 = 0
            switch Int32(entry.value.kind) {
            case Int32(AMQP_FIELD_KIND_UTF8.rawValue), Int32(AMQP_FIELD_KIND_BYTES.rawValue):
                headers[key] = .string(String(amqpBytes: entry.value.value.bytes))
            case Int32(AMQP_FIELD_KIND_BOOLEAN.rawValue):
                headers[key] = .bool(entry.value.value.boolean != 0)
            default:
                if memgrid_field_as_i64(&entry.value, &integer) != 0 { headers[key] = .int(integer) }
            }
        }
        return headers
    }

    /// Fills a C properties struct; every pointer it holds lives in `arena`.
    func raw(in arena: CArena) -> amqp_basic_properties_t {
        var raw = amqp_basic_properties_t()
        var flags: UInt32 = MEMGRID_PROP_DELIVERY_MODE
        raw.delivery_mode = persistent ? 2 : 1
        if let contentType { raw.content_type = arena.bytes(contentType); flags |= MEMGRID_PROP_CONTENT_TYPE }
        if let messageID { raw.message_id = arena.bytes(messageID); flags |= MEMGRID_PROP_MESSAGE_ID }
        if let correlationID { raw.correlation_id = arena.bytes(correlationID); flags |= MEMGRID_PROP_CORRELATION_ID }
        if let replyTo { raw.reply_to = arena.bytes(replyTo); flags |= MEMGRID_PROP_REPLY_TO }
        if let expiration { raw.expiration = arena.bytes(expiration); flags |= MEMGRID_PROP_EXPIRATION }
        if let type { raw.type = arena.bytes(type); flags |= MEMGRID_PROP_TYPE }
        if let appID { raw.app_id = arena.bytes(appID); flags |= MEMGRID_PROP_APP_ID }
        if let timestamp { raw.timestamp = UInt64(max(0, timestamp.timeIntervalSince1970)); flags |= MEMGRID_PROP_TIMESTAMP }
        if !headers.isEmpty { raw.headers = arena.table(headers); flags |= MEMGRID_PROP_HEADERS }
        raw._flags = flags
        return raw
    }
}
