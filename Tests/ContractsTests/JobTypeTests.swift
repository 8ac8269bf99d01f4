import Contracts
import Testing

@Suite("Job and event type names")
struct JobTypeTests {
    @Test(arguments: [
        ("embed.v1", "embed", 1),
        ("memorize.v12", "memorize", 12),
        ("job.completed.v1", "job.completed", 1),
        ("a.v999999999", "a", 999_999_999),
    ])
    func parsesValid(_ text: String, kind: String, version: Int) throws {
        let parsed = try #require(JobType.parse(text))
        #expect(parsed.kind == kind)
        #expect(parsed.version == version)
    }

    @Test(arguments: [
        "", "embed", "embed.", "embed.v", "embed.v0", ".v1", "embed.vx", "embed.v-1", "embed.v+1",
        "embed.v01", "embed.V1", "embed.1", "embed.v1 ", "embed.v1.5", "embed.v１", "embed.v1234567890",
    ])
    func rejectsInvalid(_ text: String) {
        #expect(JobType.parse(text) == nil)
        #expect(EventType.parse(text) == nil)
    }

    @Test func descriptionRoundTrips() throws {
        for type in JobCatalog.all {
            let parsed = try #require(JobType.parse(type.description))
            #expect(parsed.kind == type.kind && parsed.version == type.version)
            #expect(JobCatalog.type(named: type.description) == type)
        }
        for type in EventCatalog.all {
            #expect(EventType.parse(type.description) == type)
            #expect(type.routingKey == type.name)
        }
        #expect(JobCatalog.type(named: "embed.v2") == nil)
    }

    @Test func catalogsListEachPayloadOnce() {
        #expect(JobCatalog.payloads.map { $0.type } == JobCatalog.all)
        #expect(EventCatalog.payloads.map { $0.type } == EventCatalog.all)
        #expect(Set(JobCatalog.all.map(\.kind)).count == JobCatalog.all.count)
        #expect(Set(EventCatalog.all.map(\.name)).count == EventCatalog.all.count)
        #expect(EmbedJob.type.queue == .embed)
        #expect(MemorizeJob.type.queue == .llm)
    }

    @Test func routesAndTopologyNames() {
        #expect(JobCatalog.routes == [.embed: ["embed"], .llm: ["memorize", "summarize"], .proactive: ["webhook", "consolidate"]])
        #expect(Topology().subscriptions == [
            .proactive: ["memory.created", "memory.updated", "memory.superseded", "memory.deleted", "user.erased"],
        ])
        let topology = Topology()
        #expect(topology.jobsExchange == "memgrid.jobs")
        #expect(topology.eventsExchange == "memgrid.events")
        #expect(topology.deadLetterExchange == "memgrid.dead-letter")
        #expect(topology.workQueue(.embed) == "memgrid.embed")
        #expect(topology.deadLetterQueue(.llm) == "memgrid.llm.dlq")
        #expect(topology.retryQueue(.embed, level: 1) == "memgrid.embed.retry.1")
        #expect(topology.retryQueue(.embed, level: 9) == "memgrid.embed.retry.5")
        #expect(Topology(prefix: "t1").workQueue(.proactive) == "t1.proactive")
    }
}
