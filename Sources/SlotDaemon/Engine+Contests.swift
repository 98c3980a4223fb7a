import Foundation
import SlotCore
import SlotProtocol
import SlotStore

/// io.slotd.Contests (Art. 7.2, 16): an applicant contests a rejection or a position, an admin decides with a
/// reason, and the applicant sees the outcome. Every step is in the audit trail (Art. 8).
extension Engine {
    static let contests = WireError.Interface.contests

    func openContest(_ p: ContestOpenParameters, _ caller: Caller) throws(WireError) -> ContestInfo {
        let i = Self.contests
        try Self.requireReason(p.reason, i)
        let request: StoredRequest?
        do { request = try book.active[p.id] ?? store.request(p.id) } catch { throw .internalError("\(error)") }
        // Only the owner contests; anyone else learns nothing about the request (not even that it exists).
        guard let request, request.uid == Int64(caller.uid) else {
            throw WireError(.contestsNotFound, .init(id: p.id, reason: "you have no request \(p.id)"))
        }
        let kind: String
        switch request.state {
        case .pending: kind = "position"
        case .rejected: kind = "rejection"
        default:
            throw WireError(
                .contestsNotContestable,
                .init(
                    id: p.id,
                    reason: "request \(p.id) is \(request.state.rawValue): only a pending request's position or a "
                        + "rejection can be contested"))
        }
        do {
            if let open = try store.openContest(request: p.id) {
                throw WireError(
                    .contestsNotContestable,
                    .init(
                        id: p.id, reason: "contest \(open.id ?? 0) on request \(p.id) is still open"))
            }
            let contest = try store.open(
                StoredContest(
                    requestId: p.id, account: request.account, uid: Int64(caller.uid), kind: kind,
                    reason: p.reason, openedAt: now),
                audit: audit(caller, "contest.open", "", p.reason, "request \(p.id), \(kind)"))
            logger.info("contest \(contest.id ?? 0) opened on request \(p.id) (\(kind))")
            return contest.info
        } catch let error as WireError {
            throw error
        } catch { throw .internalError("\(error)") }
    }

    func listContests(_ p: ContestListParameters, _ caller: Caller) throws(WireError) -> [ContestInfo] {
        if p.allUsers == true { try requireAdmin(caller, Self.contests, "listing everyone's contests") }
        let limit = min(max(p.limit ?? 100, 1), 100_000)
        do {
            return try store.contests(
                account: p.allUsers == true ? nil : caller.user, states: p.states ?? [],
                limit: limit
            ).map(\.info)
        } catch { throw .internalError("\(error)") }
    }

    /// Decides an open contest. A grant on a pending request adds a bounded boost for a bounded time; a grant on a
    /// rejection puts the request back in the queue at its original submit time (when the policy now admits it).
    func resolveContest(_ p: ContestResolveParameters, _ caller: Caller) throws(WireError) -> ContestInfo {
        let i = Self.contests
        try Self.requireReason(p.reason, i)
        let found: StoredContest?
        do { found = try store.contest(p.id) } catch { throw .internalError("\(error)") }
        guard var contest = found else {
            throw WireError(.contestsNotFound, .init(id: p.id, reason: "no contest \(p.id)"))
        }
        guard contest.state == .open else {
            throw WireError(
                .contestsNotContestable,
                .init(
                    id: contest.requestId,
                    reason: "contest \(p.id) was already \(contest.state.rawValue) by \(contest.decidedBy ?? "?")"))
        }
        let at = now
        contest.decidedAt = at
        contest.decidedBy = caller.user
        contest.decision = p.reason
        guard p.grant else {
            guard p.boost == nil, p.until == nil else {
                throw .invalid(i, parameter: "boost", "a boost or an end time goes with a grant, not with uphold")
            }
            contest.state = .upheld
            try decide(contest, caller, detail: "upheld", requeued: nil)
            return contest.info
        }
        contest.state = .granted
        let request: StoredRequest?
        do { request = try book.active[contest.requestId] ?? store.request(contest.requestId) } catch {
            throw .internalError("\(error)")
        }
        switch request?.state {
        case .pending?:
            let (points, until) = try boostBounds(p, at: at)
            contest.boost = points
            contest.boostUntil = until
            try decide(
                contest, caller, detail: "request \(contest.requestId): priority +\(points) until \(until)",
                requeued: nil)
            perform(scheduler.handle(.boost(requestID: UInt64(contest.requestId), Self.boost(contest)), now: now))
        case .rejected? where contest.kind == "rejection":
            guard p.boost == nil, p.until == nil, var requeued = request else {
                throw .invalid(
                    i, parameter: "boost",
                    "a re-queued request takes its original place; a boost is "
                        + "for a pending request (grant first, then contest its position if needed)")
            }
            let summary = Self.schedulerRequest(PendingSummary(requeued))
            let problems = scheduler.admissionProblems(summary)
            guard problems.isEmpty else {
                throw WireError(
                    .contestsNotContestable,
                    .init(
                        id: requeued.id,
                        reason: "request \(requeued.id) still breaks the policy in force; uphold the contest, "
                            + "or change the policy or the account first",
                        reasons: problems.map { Reason(code: $0.code, message: $0.description) }))
            }
            requeued.state = .pending
            requeued.reasons = nil
            requeued.endedAt = nil
            try decide(contest, caller, detail: "request \(requeued.id) re-queued", requeued: requeued)
            book.pendingRows[requeued.id] = PendingSummary(requeued)
            book.submitting[requeued.id] = requeued
            perform(scheduler.handle(.submit(summary), now: now))
            book.submitting = [:]
            notify(book.active[requeued.id] ?? requeued)
        default:
            // The request moved on (started, ended, cancelled): the grant is recorded, with nothing left to change.
            try decide(
                contest, caller, detail: "request \(contest.requestId) no longer waiting; no effect",
                requeued: nil)
        }
        return contest.info
    }

    /// The boost a grant gives: the admin's points and end, each defaulting to and bounded by the policy.
    private func boostBounds(_ p: ContestResolveParameters, at: Int64) throws(WireError) -> (Int64, Int64) {
        let rule = policyState.policy.contests
        let points = p.boost ?? rule.maxBoost
        guard (1...max(1, rule.maxBoost)).contains(points), rule.maxBoost > 0 else {
            throw .invalid(
                Self.contests, parameter: "boost",
                "must be 1 to \(rule.maxBoost) points (contests.max_boost in the policy)")
        }
        let latest = at + rule.maxBoostDuration.milliseconds
        let until = p.until ?? latest
        guard until > at, until <= latest else {
            throw .invalid(
                Self.contests, parameter: "until",
                "must be after now and at most \(rule.maxBoostDuration) "
                    + "from now (\(Timestamp(latest)); contests.max_boost_duration in the policy)")
        }
        return (points, until)
    }

    private func decide(
        _ contest: StoredContest, _ caller: Caller, detail: String,
        requeued: StoredRequest?
    ) throws(WireError) {
        let action = contest.state == .granted ? "contest.grant" : "contest.uphold"
        do {
            try store.decide(
                contest,
                audit: audit(
                    caller, action, "contest \(contest.id ?? 0)", contest.decision ?? "",
                    detail), requeued: requeued)
        } catch { throw .internalError("\(error)") }
        logger.info("contest \(contest.id ?? 0) \(contest.state.rawValue) by \(caller.user): \(detail)")
    }

    static func boost(_ contest: StoredContest) -> Boost? {
        guard let points = contest.boost else { return nil }
        return Boost(
            points: points, until: contest.boostUntil,
            detail: "contest \(contest.id ?? 0) granted by \(contest.decidedBy ?? "an admin")")
    }
}
