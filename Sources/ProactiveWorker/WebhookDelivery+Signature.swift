import Crypto
import Foundation

extension WebhookDelivery {
    /// The `X-Memgrid-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256>` where the
    /// MAC is keyed with the secret's UTF-8 bytes (the whole `whsec_…` string) over
    /// `"<t>.<body>"`. Signing the timestamp lets receivers refuse replays of old
    /// deliveries; the `v1=` label leaves room for another scheme beside it later.
    static func signature(secret: String, timestamp: Int, body: Data) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        mac.update(data: Data("\(timestamp).".utf8))
        mac.update(data: body)
        return "t=\(timestamp),v1=\(hex(mac.finalize()))"
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
