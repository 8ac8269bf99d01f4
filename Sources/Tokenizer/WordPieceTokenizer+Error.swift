extension WordPieceTokenizer {
    /// Why a tokenizer could not be built: a code to match on and a message with context
    /// (file paths, token names; never file contents).
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case vocabularyUnreadable
                case vocabularyEmpty
                case missingSpecialToken
                case invalidConfiguration
            }

            private let base: Base

            private init(_ base: Base) {
                self.base = base
            }

            /// The vocabulary file (or the model directory's `vocab.txt`) is missing or unreadable.
            public static let vocabularyUnreadable = Code(.vocabularyUnreadable)
            /// The vocabulary file has no tokens.
            public static let vocabularyEmpty = Code(.vocabularyEmpty)
            /// `[CLS]`, `[SEP]`, `[UNK]` or `[PAD]` (or the names the configuration gives
            /// them) is not in the vocabulary.
            public static let missingSpecialToken = Code(.missingSpecialToken)
            /// `tokenizer_config.json` is malformed or asks for something this tokenizer
            /// does not implement, or `maxLength` is below 2.
            public static let invalidConfiguration = Code(.invalidConfiguration)

            public var description: String { base.rawValue }
        }

        public let code: Code
        public let message: String

        init(_ code: Code, _ message: String) {
            self.code = code
            self.message = message
        }

        public var description: String { "WordPieceTokenizer.Error(\(code)): \(message)" }
    }
}
