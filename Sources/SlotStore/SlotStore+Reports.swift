import Foundation
import GRDB
import SlotDomain
import SlotReport

extension SlotStore {
    /// The requests a report over `[from, to)` needs: submitted or started in the period (only those of `accounts`
    /// when given). The category is the one stored at submit, or the account's current one for older rows.
    /// `watts` gives the power of one GPU of a node index (nil: never ran).
    public func reportRows(
        from: Int64, to: Int64, accounts: [String]?,
        watts: @escaping @Sendable (Int?) -> Int
    ) throws(StoreError) -> [ReportRow] {
        try read { db in
            let own = accounts == nil ? "" : " AND r.account IN (SELECT value FROM json_each(:accounts))"
            // Every state, so the (state, submittedAt, id) index serves the range, one state at a time.
            let states = RequestState.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            let columns = """
                r.id, r.account, COALESCE(r.category, a.category, 'unknown') AS category, r.sector, \
                r.gpus * r.nodes AS gpus, \
                r.durationMs, r.submittedAt, r.startedAt, r.endedAt, r.state, r.reasons, r.node
                """
            let sql = """
                SELECT \(columns) FROM request r LEFT JOIN account a ON a.name = r.account \
                WHERE r.state IN (\(states)) AND r.submittedAt >= :from AND r.submittedAt < :to\(own) \
                UNION \
                SELECT \(columns) FROM request r LEFT JOIN account a ON a.name = r.account \
                WHERE r.startedAt IS NOT NULL AND r.startedAt >= :from AND r.startedAt < :to\(own)
                """
            var arguments: StatementArguments = ["from": from, "to": to]
            if let accounts { _ = arguments.append(contentsOf: ["accounts": Self.jsonArray(accounts)]) }
            var rows: [ReportRow] = []
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try cursor.next() {
                let stateName: String = row["state"]
                guard let state = RequestState(rawValue: stateName) else { continue }
                let node: Int? = row["node"]
                rows.append(
                    ReportRow(
                        account: row["account"], category: row["category"], sector: row["sector"], gpus: row["gpus"],
                        durationMs: row["durationMs"], submittedAt: row["submittedAt"], startedAt: row["startedAt"],
                        endedAt: row["endedAt"], state: state, rejectionCodes: Self.codes(row["reasons"]),
                        gpuWatts: watts(node)))
            }
            return rows
        }
    }

    /// Contests opened in `[from, to)` (only those of `accounts` when given), with their request's category and
    /// sector.
    public func reportContests(from: Int64, to: Int64, accounts: [String]?) throws(StoreError) -> [ReportContest] {
        try read { db in
            let own = accounts == nil ? "" : " AND c.account IN (SELECT value FROM json_each(:accounts))"
            let sql = """
                SELECT c.account, COALESCE(r.category, a.category, 'unknown') AS category, \
                COALESCE(r.sector, 'unknown') AS sector, c.state FROM contest c \
                LEFT JOIN request r ON r.id = c.requestId LEFT JOIN account a ON a.name = c.account \
                WHERE c.openedAt >= :from AND c.openedAt < :to\(own)
                """
            var arguments: StatementArguments = ["from": from, "to": to]
            if let accounts { _ = arguments.append(contentsOf: ["accounts": Self.jsonArray(accounts)]) }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                let stateName: String = row["state"]
                return ContestState(rawValue: stateName).map {
                    ReportContest(account: row["account"], category: row["category"], sector: row["sector"], state: $0)
                }
            }
        }
    }

    static func jsonArray(_ names: [String]) -> String {
        (try? JSONSerialization.data(withJSONObject: names)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
    }

    static func codes(_ json: String?) -> [String] {
        guard let json, let list = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else {
            return []
        }
        return list.compactMap { $0["code"] as? String }
    }
}
