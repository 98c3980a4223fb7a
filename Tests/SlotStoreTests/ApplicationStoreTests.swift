import Foundation
import GRDB
@testable import SlotStore
import Testing

/// Applications for projects in the store (issue 20), and the upgrade from the release that first had projects.
@Suite struct ApplicationStoreTests {
    @Test("a database of the release with projects (v9) opens with its project intact and not yet noticed")
    func migratesTheReleaseWithProjects() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotstore-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/slotd.sqlite"
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: "v9-projects")
        try old.write { db in
            try db.execute(
                sql: """
                    INSERT INTO project (id, applicant, applicantKind, registration, category, pi, members, sectors, \
                    purpose, awardGPUHours, opens, closes, createdAt) VALUES ('kazllm', 'KazNU', 'organisation', \
                    '990140000123', 'uni', 'alice', '["bob"]', '["health"]', 'LLM', 100, 1, 2, 3)
                    """)
        }
        try old.close()
        let store = try SlotStore(path: path, durability: .normal)
        let project = try #require(try store.projects().first)
        #expect(project.id == "kazllm" && project.members == ["bob"] && project.awardGPUHours == 100)
        #expect(project.noticedAt == nil)
        #expect(try store.applications(filedBy: nil).isEmpty)
        try store.markNoticed(project: "kazllm", at: 42)
        #expect(try store.projects().first?.noticedAt == 42)
    }

    @Test("an approved application and its project are saved together with the audit record naming its id")
    func approvalCreatesTheProjectAtomically() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotstore-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SlotStore(path: directory + "/slotd.sqlite", durability: .normal)
        var application = StoredApplication(
            project: "p1", filedBy: "alice", applicant: "Alice", applicantKind: "person", registration: "IIN",
            category: "uni", members: [], sectors: ["health"], purpose: "x", gpuHours: 10, opens: 0, closes: 10,
            route: nil, filedAt: 0)
        let audit: @Sendable (StoredApplication) -> AuditEvent = {
            AuditEvent(
                actor: "alice", actorUID: 1000, action: "application.file", target: "application \($0.id ?? 0)",
                reason: "x", detail: "")
        }
        let filed = try store.save(application, project: nil, audit: audit, at: 1)
        #expect(filed.id == 1)
        #expect(try store.hasOpenApplication(project: "p1"))
        #expect(try store.projects().isEmpty)
        application = filed
        application.state = .approved
        let project = StoredProject(
            id: "p1", applicant: "Alice", applicantKind: "person", registration: "IIN", category: "uni", pi: "alice",
            members: [], sectors: ["health"], purpose: "x", awardGPUHours: 10, opens: 0, closes: 10, createdAt: 2)
        _ = try store.save(application, project: project, audit: audit, at: 2)
        #expect(try store.projects().map(\.id) == ["p1"])
        #expect(try !store.hasOpenApplication(project: "p1"))
        #expect(try store.applications(filedBy: "alice").map(\.state) == [.approved])
        #expect(try store.applications(filedBy: "bob").isEmpty)
        #expect(try store.auditRecords(limit: 10).map(\.entry.target) == ["application 1", "application 1"])
    }
}
