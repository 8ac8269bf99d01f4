import WorkerRuntime
import Contracts
import Crypto
import Foundation
import Logging
import Messaging
import ServiceLifecycle
import Storage

/// Takes every message off the dead-letter queues (`<prefix>.<queue>.dlq`) into
/// PostgreSQL (`DeadLetterRepository`), where the admin API and `memgrid dlq` browse,
/// replay and purge without rewriting a queue. A message is acked only once its row is
/// committed; a redelivered one is recognised by its fingerprint and recorded once.
/// While PostgreSQL is down the messages wait in their queue (bounded by the DLQ
/// length policy, see docs/deploy-cce.md), the first ones unacked here. Every gateway replica runs one; they share
/// the queues as competing consumers.
struct DeadLetterRecorder: Service {
    /// The first pause after a failed insert; it doubles up to `maxRetryDelay`.
    static let retryDelay: Duration = .seconds(1)
    static let maxRetryDelay: Duration = .seconds(30)

    let configuration: BrokerConfiguration
    let declaration: TopologyDeclaration
    let repository: DeadLetterRepository
    /// Dead letters kept per tenant (`MEMGRID_DEAD_LETTERS_PER_TENANT`).
    let perTenant: Int
    let logger: Logger

    func run() async throws {
        let topology = declaration.topology
        await withDiscardingTaskGroup { group in
            for queue in topology.queues {
                group.addTask { await record(queue, from: topology.deadLetterQueue(queue)) }
            }
        }
    }

    private func record(_ queue: JobQueue, from deadLetterQueue: String) async {
        let consumer = Consumer(
            configuration: configuration, queue: deadLetterQueue, prefetch: 32, declaration: declaration, logger: logger)
        consumer.start()
        await withDiscardingTaskGroup { group in
            group.addTask {
                try? await gracefulShutdown()
                consumer.cancel()
                await consumer.close()
            }
            for await delivery in consumer.deliveries {
                // An unrecordable message stays unacked here, retried, instead of being
                // requeued: a quorum DLQ counts requeues against its delivery limit and,
                // with no dead-letter target of its own, would drop the message at 20.
                guard let letter = await recordRetrying(delivery, queue: queue, deadLetterQueue: deadLetterQueue) else { continue }
                consumer.ack(delivery)
                logger.info("dead letter recorded", metadata: [
                    "dead_letter.queue": "\(queue)", "dead_letter.reason": "\(letter.reason ?? "unknown")",
                    "tenant": "\(letter.tenantID ?? "none")",
                ])
            }
        }
    }

    /// Records `delivery` (once, by its fingerprint), retrying with a growing pause while
    /// PostgreSQL refuses. Nil when the process stops first: the message goes back to its
    /// queue with the connection.
    private func recordRetrying(_ delivery: Delivery, queue: JobQueue, deadLetterQueue: String) async -> DeadLetter? {
        let letter = DeadLetter(delivery: delivery, queue: queue, deadLetterQueue: deadLetterQueue)
        let properties = delivery.properties.withoutDeliveryHeaders
        var delay = Self.retryDelay
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let recorded = try await repository.record(
                    Self.row(letter, properties: properties),
                    fingerprint: Self.fingerprint(properties, delivery.body, in: deadLetterQueue), body: delivery.body,
                    perTenant: perTenant, logger: logger)
                if recorded.dropped > 0 {
                    logger.warning("tenant over its dead-letter cap: its oldest dead letters were dropped", metadata: [
                        "tenant": "\(letter.tenantID ?? "none")", "dead_letters.dropped": "\(recorded.dropped)",
                        "dead_letters.cap": "\(perTenant)",
                    ])
                }
                return letter
            } catch {
                logger.warning(
                    "could not record a dead letter; it stays in its queue, retrying",
                    metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxRetryDelay)
            }
        }
        return nil
    }

    static func row(_ letter: DeadLetter, properties: MessageProperties) throws -> DeadLetterRepository.Row {
        DeadLetterRepository.Row(
            queue: letter.queue.rawValue, deadLetterQueue: letter.deadLetterQueue, messageID: letter.messageID, type: letter.type,
            tenantID: letter.tenantID, reason: letter.reason, error: letter.error, originalExchange: letter.originalExchange,
            originalRoutingKey: letter.originalRoutingKey, attempt: letter.attempt, replays: letter.replays,
            deadLetteredAt: letter.deadLetteredAt ?? Date(),
            properties: String(decoding: try JSONEncoder().encode(properties), as: UTF8.self), bodyBytes: letter.bodyBytes,
            body: nil)
    }

    /// The same dead letter delivered again hashes the same; a later dead-lettering of
    /// the same job differs in its headers (time, replay count).
    static func fingerprint(_ properties: MessageProperties, _ body: Data, in deadLetterQueue: String) throws -> String {
        var hash = SHA256()
        hash.update(data: Data(deadLetterQueue.utf8))
        hash.update(data: try JSONEncoder.sorted.encode(properties))
        hash.update(data: body)
        return hash.finalize().hexString
    }
}

extension JSONEncoder {
    /// Same value, same bytes: keys sorted.
    fileprivate static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
