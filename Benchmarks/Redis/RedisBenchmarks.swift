import Benchmark
import Cache

// hiredis writes a command's RESP bytes and parses replies itself, so what Swift does per
// command is build its argv (RedisArgument) and, per reply, turn RedisValue payloads back
// into values: measured here on the embedding cache's commands, its busiest.

/// 32 all-MiniLM-L6-v2 vectors (384 floats) under embedding-cache keys.
let vectors: [[Float]] = (0..<32).map { row in
    (0..<384).map { index -> Float in Float((index * 31 + row) % 199) / 199 - 0.5 }
}
let keys = (0..<32).map { "emb:minilm-l6-v2.r1.384:tenant-acme:" + String(repeating: "\($0 % 10)", count: 64) }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal])

    // What `EmbeddingCache.store` hands the pipeline: one `SET key value PX ttl` a vector.
    Benchmark("SET PX argv of \(vectors.count) cached vectors") { benchmark in
        for _ in benchmark.scaledIterations {
            for (key, vector) in zip(keys, vectors) {
                blackHole(try RedisClient.setCommand(
                    key.redisArgument, EmbeddingCache.encode(vector).redisArgument, ttl: .seconds(86_400)))
            }
        }
    }

    // What `EmbeddingCache.lookup` makes of an MGET reply: bulk strings back to vectors.
    Benchmark("MGET reply of \(vectors.count) cached vectors to [Float]") { benchmark, reply in
        for _ in benchmark.scaledIterations {
            blackHole(reply.array?.map { $0.bytes.flatMap { EmbeddingCache.decode($0, dimensions: 384) } })
        }
    } setup: {
        RedisValue.array(vectors.map { .bulkString(EmbeddingCache.encode($0)) })
    }
}
