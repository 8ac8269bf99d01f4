import Crypto

extension BertEncoder {
    /// SHA-256 of the weights file (hex): the `EmbeddingSpace.revision`, so new weights
    /// mean a new space.
    static func contentHash(of file: SafeTensors) -> String {
        SHA256.hash(data: file.fileBytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
