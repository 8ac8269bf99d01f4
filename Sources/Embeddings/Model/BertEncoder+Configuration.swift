public import Foundation

extension BertEncoder {
    /// The architecture, read from the model's `config.json` (Hugging Face `BertConfig`).
    /// Only the fields the forward pass depends on; anything unsupported is rejected.
    public struct Configuration: Hashable, Sendable, Codable {
        public var hiddenSize: Int
        public var attentionHeads: Int
        public var intermediateSize: Int
        public var layers: Int
        public var layerNormEpsilon: Float
        public var vocabularySize: Int
        public var maxPositions: Int
        public var tokenTypes: Int

        public var headSize: Int { hiddenSize / attentionHeads }

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size"
            case attentionHeads = "num_attention_heads"
            case intermediateSize = "intermediate_size"
            case layers = "num_hidden_layers"
            case layerNormEpsilon = "layer_norm_eps"
            case vocabularySize = "vocab_size"
            case maxPositions = "max_position_embeddings"
            case tokenTypes = "type_vocab_size"
        }

        public init(
            hiddenSize: Int, attentionHeads: Int, intermediateSize: Int, layers: Int,
            layerNormEpsilon: Float, vocabularySize: Int, maxPositions: Int, tokenTypes: Int
        ) {
            self.hiddenSize = hiddenSize
            self.attentionHeads = attentionHeads
            self.intermediateSize = intermediateSize
            self.layers = layers
            self.layerNormEpsilon = layerNormEpsilon
            self.vocabularySize = vocabularySize
            self.maxPositions = maxPositions
            self.tokenTypes = tokenTypes
        }

        /// Reads and validates `config.json`.
        public init(contentsOf url: URL) throws(BertEncoder.Error) {
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                let missing = !FileManager.default.fileExists(atPath: url.path)
                throw BertEncoder.Error(missing ? .fileNotFound : .unreadableFile, missing ? "config.json not found" : "cannot read config.json", path: url.path)
            }
            do {
                self = try JSONDecoder().decode(Configuration.self, from: data)
            } catch {
                throw BertEncoder.Error(.invalidConfiguration, "config.json lacks a required BERT field or is not JSON (\(Self.describe(error)))", path: url.path)
            }
            struct Extras: Decodable {
                var hidden_act: String?
                var position_embedding_type: String?
                var model_type: String?
            }
            let extras = try? JSONDecoder().decode(Extras.self, from: data)
            if let activation = extras?.hidden_act, activation != "gelu" {
                throw BertEncoder.Error(.invalidConfiguration, "hidden_act '\(activation)' is not supported (only erf GELU, 'gelu')", path: url.path)
            }
            if let positions = extras?.position_embedding_type, positions != "absolute" {
                throw BertEncoder.Error(.invalidConfiguration, "position_embedding_type '\(positions)' is not supported", path: url.path)
            }
            try validate(path: url.path)
        }

        func validate(path: String?) throws(BertEncoder.Error) {
            let sizes = [hiddenSize, attentionHeads, intermediateSize, layers, vocabularySize, maxPositions, tokenTypes]
            guard sizes.allSatisfy({ $0 > 0 }), hiddenSize % attentionHeads == 0 else {
                throw BertEncoder.Error(.invalidConfiguration, "sizes must be positive and hidden_size divisible by num_attention_heads: \(self)", path: path)
            }
            // Row reductions and attention work in groups of 16 floats.
            guard hiddenSize % Kernels.lanes == 0, headSize % Kernels.lanes == 0 else {
                throw BertEncoder.Error(.invalidConfiguration, "hidden_size and the head size must be multiples of \(Kernels.lanes): \(self)", path: path)
            }
            guard layerNormEpsilon.isFinite, layerNormEpsilon >= 0 else {
                throw BertEncoder.Error(.invalidConfiguration, "layer_norm_eps must be a non-negative number", path: path)
            }
        }

        private static func describe(_ error: any Swift.Error) -> String {
            switch error as? DecodingError {
            case .keyNotFound(let key, _)?: "missing '\(key.stringValue)'"
            case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
                "bad '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
            case .dataCorrupted?: "malformed JSON"
            default: "unreadable"
            }
        }
    }
}
