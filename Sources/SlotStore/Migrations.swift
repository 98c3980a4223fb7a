import GRDB

/// The schema, as named migrations. Append only: a released migration is never edited, a change is a new one.
/// GRDB records which ran in `grdb_migrations`; a database with migrations this build does not know (written by a
/// newer slotd) is refused at open (see ``SlotStore/open(path:)``).
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-requests-accounts-audit") { db in
            try db.create(table: "request") { t in
                t.primaryKey("id", .integer)
                t.column("uid", .integer).notNull()
                t.column("gid", .integer).notNull()
                t.column("account", .text).notNull()
                t.column("sector", .text).notNull()
                t.column("gpus", .integer).notNull()
                t.column("cpus", .integer).notNull()
                t.column("memoryMiB", .integer).notNull()
                t.column("durationMs", .integer).notNull()
                t.column("purpose", .text).notNull()
                t.column("command", .jsonText).notNull()
                t.column("workingDirectory", .text).notNull()
                t.column("environment", .jsonText).notNull()
                t.column("submittedAt", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("startedAt", .integer)
                t.column("endedAt", .integer)
                t.column("outcome", .text)
                t.column("exitCode", .integer)
                t.column("reasons", .jsonText)
                t.column("node", .integer)
                t.column("gpuIndices", .jsonText)
                t.column("logFile", .text)
            }
            try db.create(index: "request_by_state", on: "request", columns: ["state", "submittedAt", "id"])
            try db.create(index: "request_by_uid", on: "request", columns: ["uid", "id"])
            try db.create(table: "transition") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("requestId", .integer).notNull().indexed()
                t.column("state", .text).notNull()
                t.column("at", .integer).notNull()
                t.column("detail", .text).notNull()
            }
            try db.create(table: "account") { t in
                t.primaryKey("name", .text)
                t.column("category", .text).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(table: "policy_version") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("version", .text).notNull()
                t.column("hash", .text).notNull()
                t.column("file", .text).notNull()
                t.column("source", .text).notNull()
                t.column("appliedAt", .integer).notNull()
                t.column("appliedBy", .text).notNull()
                t.column("reason", .text).notNull()
            }
            try db.create(table: "audit") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("at", .integer).notNull()
                t.column("actor", .text).notNull()
                t.column("actorUID", .integer).notNull()
                t.column("action", .text).notNull()
                t.column("target", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("detail", .text).notNull()
                t.column("prevHash", .text).notNull()
                t.column("hash", .text).notNull()
            }
        }
        migrator.registerMigration("v2-request-network") { db in
            try db.alter(table: "request") { t in
                t.add(column: "network", .boolean).notNull().defaults(to: true)
            }
        }
        // List reads the newest requests of some states (optionally one user's): these indexes give them in id
        // order per state, so the query stays fast with a million rows instead of sorting them all.
        migrator.registerMigration("v3-list-indexes") { db in
            try db.create(index: "request_by_state_id", on: "request", columns: ["state", "id"])
            try db.create(index: "request_by_uid_state_id", on: "request", columns: ["uid", "state", "id"])
        }
        // Users' rights (Art. 7.2, 15.2.5) and reports (Art. 26.3): who accepted which agreement version, contests
        // and their decisions, and each request's applicant category at submit (an account's category may change
        // later; reports count the category the request was ranked under).
        migrator.registerMigration("v4-rights-reports") { db in
            try db.alter(table: "request") { t in t.add(column: "category", .text) }
            // Reports read the slots started in a period. Partial, so the Submit hot path (startedAt is NULL then)
            // writes no entry; requests submitted in a period are found through request_by_state.
            try db.create(
                index: "request_by_started", on: "request", columns: ["startedAt"],
                condition: Column("startedAt") != nil)
            try db.create(table: "agreement_acceptance") { t in
                t.column("account", .text).notNull()
                t.column("uid", .integer).notNull()
                t.column("version", .text).notNull()
                t.column("hash", .text).notNull()
                t.column("acceptedAt", .integer).notNull()
                t.primaryKey(["account", "version", "hash"])
            }
            try db.create(table: "contest") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("requestId", .integer).notNull().indexed()
                t.column("account", .text).notNull()
                t.column("uid", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("openedAt", .integer).notNull().indexed()
                t.column("state", .text).notNull()
                t.column("decidedAt", .integer)
                t.column("decidedBy", .text)
                t.column("decision", .text)
                t.column("boost", .integer)
                t.column("boostUntil", .integer)
            }
        }
        // One row rewritten to learn whether the database can be written again after a failed write
        // (SlotStore.probeWrite): the daemon stops granting slots until it can.
        migrator.registerMigration("v5-write-probe") { db in
            try db.create(table: "write_probe") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("at", .integer).notNull()
            }
        }
        // The GPU models a request accepts (issue 18): NULL in older rows means any model, as it did then.
        migrator.registerMigration("v6-request-gpu-types") { db in
            try db.alter(table: "request") { t in t.add(column: "gpuTypes", .text) }
        }
        // Gangs and node conditions (issue 18): a request spans `nodes` nodes (older rows: one, as they did), and a
        // running gang's further nodes are in `gang`; an admin's drain or an executor's down is kept per node name.
        migrator.registerMigration("v7-gangs-and-node-states") { db in
            try db.alter(table: "request") { t in
                t.add(column: "nodes", .integer).notNull().defaults(to: 1)
                t.add(column: "gang", .text)
            }
            try db.create(table: "node_state") { t in
                t.primaryKey("name", .text)
                t.column("state", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("changedAt", .integer).notNull()
                t.column("changedBy", .text).notNull()
            }
        }
        // Slots handed to a cluster (issue 19): the cluster's job id, recorded once it took the job, so a restart
        // tells a slot never handed over (granted again) from one whose job ended while slotd was away.
        migrator.registerMigration("v8-request-cluster-job") { db in
            try db.alter(table: "request") { t in t.add(column: "clusterJob", .integer) }
        }
        // Projects with awards for a window (issue 20). Existing accounts keep working unchanged: a request on no
        // project is charged to its user's account and category budget, as before.
        migrator.registerMigration("v9-projects") { db in
            try db.create(table: "project") { t in
                t.primaryKey("id", .text)
                t.column("applicant", .text).notNull()
                t.column("applicantKind", .text).notNull()
                t.column("registration", .text).notNull()
                t.column("category", .text).notNull()
                t.column("pi", .text).notNull()
                t.column("members", .text).notNull()
                t.column("sectors", .text).notNull()
                t.column("purpose", .text).notNull()
                t.column("awardGPUHours", .double).notNull()
                t.column("opens", .integer).notNull()
                t.column("closes", .integer).notNull()
                t.column("createdAt", .integer).notNull()
            }
        }
        // Applications for projects (issue 20), and when a project's members were told its window is closing.
        migrator.registerMigration("v10-applications") { db in
            try db.create(table: "application") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("project", .text).notNull()
                t.column("filedBy", .text).notNull()
                t.column("applicant", .text).notNull()
                t.column("applicantKind", .text).notNull()
                t.column("registration", .text).notNull()
                t.column("category", .text).notNull()
                t.column("members", .text).notNull()
                t.column("sectors", .text).notNull()
                t.column("purpose", .text).notNull()
                t.column("gpuHours", .double).notNull()
                t.column("opens", .integer).notNull()
                t.column("closes", .integer).notNull()
                t.column("route", .text)
                t.column("state", .text).notNull()
                t.column("filedAt", .integer).notNull()
                t.column("decidedBy", .text)
                t.column("decidedAt", .integer)
                t.column("decision", .text)
                t.column("contest", .text)
            }
            try db.create(index: "application_filedBy", on: "application", columns: ["filedBy"])
            try db.alter(table: "project") { t in t.add(column: "noticedAt", .integer) }
        }
        return migrator
    }
}
