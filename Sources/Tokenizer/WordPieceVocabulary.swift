/// A WordPiece vocabulary as a trie over Unicode scalars, for greedy longest-match-first
/// lookups without building substrings.
///
/// Edges live in one open-addressing hash table keyed by (node, scalar); continuation
/// pieces (`##…`) are found by starting the walk at the node for `##`.
struct WordPieceVocabulary: Sendable {
    /// Token id ending at each node, or -1.
    private var tokenIDs: [Int32]
    /// Open-addressing edge table: `edgeKeys[i]` is `(node + 1) << 21 | scalar`, 0 when free.
    private var edgeKeys: [UInt64]
    private var edgeChildren: [Int32]
    private var edgeShift: UInt64
    private var edgeMask: Int

    /// The node reached by the continuation prefix `##`, or -1 when the vocabulary has no
    /// continuation pieces.
    private(set) var continuationNode: Int32 = -1

    /// Number of ids, one per vocabulary line.
    let count: Int

    /// Longest word, in scalars, that is split into pieces; longer words become `[UNK]`.
    static let maxInputCharactersPerWord = 100

    /// Tokens in id order: `tokens[i]` has id `i`. A token listed twice keeps the later id
    /// (as Hugging Face's `load_vocab` does).
    init(tokens: [Substring]) {
        count = tokens.count
        var edges: [UInt64: Int32] = [:]
        var ids: [Int32] = [-1]
        for (index, token) in tokens.enumerated() {
            var node: Int32 = 0
            for scalar in token.unicodeScalars {
                let key = Self.key(node, scalar.value)
                if let child = edges[key] {
                    node = child
                } else {
                    let child = Int32(ids.count)
                    ids.append(-1)
                    edges[key] = child
                    node = child
                }
            }
            ids[Int(node)] = Int32(index)
        }

        var bits = 4
        while (1 << bits) < edges.count * 2 { bits += 1 }
        let capacity = 1 << bits
        var keys = [UInt64](repeating: 0, count: capacity)
        var children = [Int32](repeating: -1, count: capacity)
        let shift = UInt64(64 - bits)
        for (key, child) in edges {
            var slot = Self.slot(key, shift: shift)
            while keys[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            children[slot] = child
        }
        tokenIDs = ids
        edgeKeys = keys
        edgeChildren = children
        edgeShift = shift
        edgeMask = capacity - 1

        let hash = UInt32(UInt8(ascii: "#"))
        let first = child(of: 0, hash)
        continuationNode = first < 0 ? -1 : child(of: first, hash)
    }

    @inline(__always)
    private static func key(_ node: Int32, _ scalar: UInt32) -> UInt64 {
        UInt64(node + 1) << 21 | UInt64(scalar)
    }

    @inline(__always)
    private static func slot(_ key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The child of `node` along `scalar`, or -1.
    @inline(__always)
    func child(of node: Int32, _ scalar: UInt32) -> Int32 {
        let key = Self.key(node, scalar)
        var slot = Self.slot(key, shift: edgeShift)
        while true {
            let found = edgeKeys[slot]
            if found == key { return edgeChildren[slot] }
            if found == 0 { return -1 }
            slot = (slot + 1) & edgeMask
        }
    }

    /// The id of a whole token (`"##ing"`, `"[UNK]"`), or nil.
    func id(of token: some StringProtocol) -> Int32? {
        var node: Int32 = 0
        for scalar in token.unicodeScalars {
            node = child(of: node, scalar.value)
            if node < 0 { return nil }
        }
        let id = tokenIDs[Int(node)]
        return id < 0 ? nil : id
    }

    /// Appends the WordPiece ids of one pre-tokenized word: greedy longest match first,
    /// continuation pieces prefixed by `##`; the whole word becomes `unknown` when some
    /// part of it matches nothing. `characterCount` may exceed `word.count` (only the
    /// first 101 scalars of a word are kept: longer words are `unknown` anyway).
    func appendPieces(of word: UnsafeBufferPointer<UInt32>, characterCount: Int, unknown: Int32, to ids: inout [Int32]) {
        if characterCount > Self.maxInputCharactersPerWord {
            ids.append(unknown)
            return
        }
        let mark = ids.count
        var start = 0
        let end = word.count
        while start < end {
            var node: Int32 = start == 0 ? 0 : continuationNode
            var matchEnd = -1
            var matchID: Int32 = -1
            var index = start
            while node >= 0 && index < end {
                node = child(of: node, word[index])
                if node < 0 { break }
                index += 1
                let id = tokenIDs[Int(node)]
                if id >= 0 {
                    matchEnd = index
                    matchID = id
                }
            }
            if matchEnd < 0 {
                ids.removeSubrange(mark...)
                ids.append(unknown)
                return
            }
            ids.append(matchID)
            start = matchEnd
        }
    }
}
