extension BertEncoder {
    /// Why loading or running the local encoder failed. Codes are opaque so new ones can be
    /// added; `message` says what was wrong and where (file paths, tensor names, shapes),
    /// never file contents.
    public struct Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        public struct Code: Hashable, Sendable, CustomStringConvertible {
            private enum Base: String, Hashable, Sendable {
                case fileNotFound, unreadableFile, corruptFile, unsupportedDType
                case missingTensor, shapeMismatch, invalidConfiguration
                case invalidInput, computeFailed
            }

            private let base: Base
            private init(_ base: Base) { self.base = base }

            /// The model directory or one of its files does not exist.
            public static let fileNotFound = Code(.fileNotFound)
            /// The file exists but could not be opened, mapped or read.
            public static let unreadableFile = Code(.unreadableFile)
            /// Truncated file, malformed header, or offsets outside the file.
            public static let corruptFile = Code(.corruptFile)
            /// A tensor is stored in a dtype the encoder cannot read (not F32/F16/BF16).
            public static let unsupportedDType = Code(.unsupportedDType)
            /// A tensor the architecture needs is not in the weights file.
            public static let missingTensor = Code(.missingTensor)
            /// A tensor's shape disagrees with `config.json`.
            public static let shapeMismatch = Code(.shapeMismatch)
            /// `config.json` is missing fields or describes an unsupported architecture.
            public static let invalidConfiguration = Code(.invalidConfiguration)
            /// A token sequence is empty, too long, or holds ids outside the vocabulary.
            public static let invalidInput = Code(.invalidInput)
            /// The GEMM library reported a failure.
            public static let computeFailed = Code(.computeFailed)

            public var description: String { base.rawValue }
        }

        public var code: Code
        public var message: String
        /// The file involved, when there is one.
        public var path: String?

        public init(_ code: Code, _ message: String, path: String? = nil) {
            self.code = code
            self.message = message
            self.path = path
        }

        public var description: String {
            if let path { return "BertEncoder.Error(\(code)): \(message) [\(path)]" }
            return "BertEncoder.Error(\(code)): \(message)"
        }
    }
}
