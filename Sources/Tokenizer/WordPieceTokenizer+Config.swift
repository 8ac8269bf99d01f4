import Foundation

extension WordPieceTokenizer {
    /// The parts of a Hugging Face `tokenizer_config.json` that decide BERT token ids.
    struct TokenizerConfig {
        var lowercase = true
        var names = SpecialTokenNames()

        init(contentsOf url: URL) throws {
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
            } catch {
                throw Error(.invalidConfiguration, "cannot read \(url.path): \(error.localizedDescription)")
            }
            guard let config = object as? [String: Any] else {
                throw Error(.invalidConfiguration, "\(url.path) is not a JSON object")
            }

            func flag(_ key: String) throws -> Bool? {
                switch config[key] {
                case nil, is NSNull: return nil
                case let value as Bool: return value
                default: throw Error(.invalidConfiguration, "\(url.path): \(key) is not a boolean")
                }
            }
            func name(_ key: String, default fallback: String) throws -> String {
                switch config[key] {
                case nil, is NSNull: return fallback
                case let value as String: return value
                // Newer configs serialize special tokens as AddedToken objects.
                case let value as [String: Any]:
                    if let content = value["content"] as? String { return content }
                    fallthrough
                default: throw Error(.invalidConfiguration, "\(url.path): \(key) is not a token")
                }
            }

            lowercase = try flag("do_lower_case") ?? true
            if let stripAccents = try flag("strip_accents"), stripAccents != lowercase {
                throw Error(.invalidConfiguration, "\(url.path): strip_accents \(stripAccents) with do_lower_case \(lowercase) is not supported")
            }
            if try flag("tokenize_chinese_chars") == false {
                throw Error(.invalidConfiguration, "\(url.path): tokenize_chinese_chars false is not supported")
            }
            if try flag("do_basic_tokenize") == false {
                throw Error(.invalidConfiguration, "\(url.path): do_basic_tokenize false is not supported")
            }
            if let tokenizerClass = config["tokenizer_class"] as? String, !tokenizerClass.contains("BertTokenizer") {
                throw Error(.invalidConfiguration, "\(url.path): tokenizer_class \(tokenizerClass) is not a BERT WordPiece tokenizer")
            }
            names.cls = try name("cls_token", default: names.cls)
            names.sep = try name("sep_token", default: names.sep)
            names.unknown = try name("unk_token", default: names.unknown)
            names.pad = try name("pad_token", default: names.pad)
            names.mask = try name("mask_token", default: names.mask)
        }
    }
}
