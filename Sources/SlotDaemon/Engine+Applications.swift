import Foundation
import SlotCore
import SlotProtocol
import SlotStore

/// Applications for projects (issue 20): filed by anyone, approved by the policy's automatic route when they fit
/// one, otherwise decided by an admin with a reason; a declined one may be contested once. Approval creates the
/// project, with the filer as its principal investigator. Every step is audited.
extension Engine {
    /// Applications of one user that may wait at a time.
    static let maxOpenApplicationsPerUser = 5

    func apply(_ p: ApplyParameters, _ caller: Caller) throws(WireError) -> ApplicationInfo {
        let i = WireError.Interface.projects
        let opens = p.opens ?? now
        try checkProject(
            ProjectFields(
                id: p.project, applicant: p.applicant, applicantKind: p.applicantKind, registration: p.registration,
                category: p.category, pi: caller.user, members: p.members, sectors: p.sectors, purpose: p.purpose,
                gpuHours: p.gpuHours, opens: opens, closes: p.closes),
            hoursParameter: "gpuHours")
        guard p.closes > now else { throw .invalid(i, parameter: "closes", "in the future") }
        let mine: [StoredApplication]
        let waiting: Bool
        do {
            mine = try store.applications(filedBy: caller.user)
            waiting = try store.hasOpenApplication(project: p.project)
        } catch { throw .internalError("\(error)") }
        guard mine.filter(\.open).count < Self.maxOpenApplicationsPerUser else {
            throw .invalid(
                i, parameter: "project",
                "you have \(Self.maxOpenApplicationsPerUser) applications waiting; wait for a decision first")
        }
        guard !waiting else {
            throw .invalid(i, parameter: "project", "an application for project '\(p.project)' is waiting")
        }
        let routes = policyState.policy.projects.routes
        var application = StoredApplication(
            project: p.project, filedBy: caller.user, applicant: p.applicant, applicantKind: p.applicantKind,
            registration: p.registration, category: p.category, members: Array(Set(p.members)).sorted(),
            sectors: p.sectors, purpose: p.purpose, gpuHours: p.gpuHours, opens: opens, closes: p.closes,
            route: p.route, filedAt: now)
        var automatic: ApplicationRoute?
        if let name = p.route {
            guard let route = routes.first(where: { $0.id == name }) else {
                throw .invalid(
                    i, parameter: "route",
                    "no route '\(name)'; the policy's: \(routes.map(\.id).joined(separator: ", "))")
            }
            if let misfit = route.misfit(gpuHours: p.gpuHours, opens: opens, closes: p.closes, category: p.category) {
                throw .invalid(i, parameter: "route", misfit)
            }
            automatic = route.automatic ? route : nil
        } else {
            automatic = routes.first {
                $0.automatic
                    && $0.misfit(gpuHours: p.gpuHours, opens: opens, closes: p.closes, category: p.category)
                        == nil
            }
            application.route = automatic?.id
        }
        // An automatic route approves one application per filer per max_window (so at most one open project on it,
        // and no stream of short ones): more goes to an admin.
        if let route = automatic,
            !mine.contains(where: {
                $0.decidedBy == "policy:\(route.id)" && $0.filedAt > now - route.maxWindow.milliseconds
            })
        {
            application.state = .approved
            application.decidedBy = "policy:\(route.id)"
            application.decidedAt = now
            application.decision = "fits route '\(route.id)' (\(route.name)), which the policy approves automatically"
        }
        return try saveApplication(
            application, caller, action: "application.file", reason: p.purpose,
            detail: "project \(p.project), \(p.gpuHours) GPU-hours, \(Timestamp(opens)) to \(Timestamp(p.closes)), "
                + "category \(p.category) claimed, route \(application.route ?? "none")"
                + (application.state == .approved ? "; approved automatically" : ""))
    }

    func listApplications(_ p: ApplicationListParameters, _ caller: Caller) throws(WireError) -> [ApplicationInfo] {
        if let state = p.state, StoredApplication.State(rawValue: state) == nil {
            throw .invalid(.projects, parameter: "state", "pending, approved, declined or contested")
        }
        do {
            return try store.applications(filedBy: caller.isAdmin ? nil : caller.user)
                .filter { p.state == nil || $0.state.rawValue == p.state }.map(Self.info)
        } catch { throw .internalError("\(error)") }
    }

    func decideApplication(_ p: DecideParameters, _ caller: Caller) throws(WireError) -> ApplicationInfo {
        let i = WireError.Interface.projects
        try Self.requireReason(p.reason, i)
        var application = try findApplication(p.id, caller)
        guard application.open else {
            throw .invalid(i, parameter: "id", "application \(p.id) is \(application.state.rawValue), not waiting")
        }
        var detail = p.approve ? "approved" : "declined"
        if p.approve {
            if let hours = p.gpuHours {
                guard hours > 0, hours <= application.gpuHours else {
                    throw .invalid(i, parameter: "gpuHours", "more than 0, at most the \(application.gpuHours) asked")
                }
                detail += ", \(hours) of \(application.gpuHours) GPU-hours"
                application.gpuHours = hours
            }
            if let closes = p.closes {
                guard closes > max(application.opens, now), closes <= application.closes else {
                    throw .invalid(i, parameter: "closes", "after the window opens, no later than asked")
                }
                detail += ", closing \(Timestamp(closes)) instead of \(Timestamp(application.closes))"
                application.closes = closes
            }
            try checkProject(fields(application), hoursParameter: "gpuHours")
        }
        application.state = p.approve ? .approved : .declined
        application.decidedBy = caller.user
        application.decidedAt = now
        application.decision = p.reason
        return try saveApplication(application, caller, action: "application.decide", reason: p.reason, detail: detail)
    }

    func contestApplication(_ p: ContestApplicationParameters, _ caller: Caller) throws(WireError) -> ApplicationInfo {
        let i = WireError.Interface.projects
        try Self.requireReason(p.reason, i)
        var application = try findApplication(p.id, caller)
        guard application.state == .declined, application.contest == nil else {
            throw .invalid(
                i, parameter: "id",
                application.contest == nil
                    ? "application \(p.id) is \(application.state.rawValue); only a declined one can be contested"
                    : "application \(p.id) was contested once already")
        }
        application.state = .contested
        application.contest = p.reason
        return try saveApplication(application, caller, action: "application.contest", reason: p.reason, detail: "")
    }

    /// The application `id`, when the caller filed it or is an admin; otherwise not found (Art. 10).
    func findApplication(_ id: Int64, _ caller: Caller) throws(WireError) -> StoredApplication {
        let found: StoredApplication?
        do { found = try store.application(id) } catch { throw .internalError("\(error)") }
        guard let found, caller.isAdmin || found.filedBy == caller.user else {
            throw WireError(.projectsNotFound, .init(reason: "no application \(id) of yours"))
        }
        return found
    }

    /// Saves the application with its audit record, and creates its project in the same transaction when it is
    /// approved.
    func saveApplication(
        _ application: StoredApplication, _ caller: Caller, action: String, reason: String, detail: String
    ) throws(WireError) -> ApplicationInfo {
        let project: StoredProject? =
            application.state == .approved
            ? StoredProject(
                id: application.project, applicant: application.applicant, applicantKind: application.applicantKind,
                registration: application.registration, category: application.category, pi: application.filedBy,
                members: application.members, sectors: application.sectors, purpose: application.purpose,
                awardGPUHours: application.gpuHours, opens: application.opens, closes: application.closes,
                createdAt: now) : nil
        let event = audit(caller, action, "", reason, detail)
        let saved: StoredApplication
        do {
            saved = try store.save(
                application, project: project,
                audit: { saved in
                    var event = event
                    event.target = "application \(saved.id ?? 0)"
                    return event
                }, at: now)
        } catch { throw .internalError("\(error)") }
        if let project { scheduleProject(project) }
        return Self.info(saved)
    }

    func fields(_ a: StoredApplication) -> ProjectFields {
        ProjectFields(
            id: a.project, applicant: a.applicant, applicantKind: a.applicantKind, registration: a.registration,
            category: a.category, pi: a.filedBy, members: a.members, sectors: a.sectors, purpose: a.purpose,
            gpuHours: a.gpuHours, opens: a.opens, closes: a.closes)
    }

    static func info(_ a: StoredApplication) -> ApplicationInfo {
        ApplicationInfo(
            id: a.id ?? 0, project: a.project, filedBy: a.filedBy, applicant: a.applicant,
            applicantKind: a.applicantKind, registration: a.registration, category: a.category, members: a.members,
            sectors: a.sectors, purpose: a.purpose, gpuHours: a.gpuHours, opens: a.opens, closes: a.closes,
            route: a.route, state: a.state.rawValue, filedAt: a.filedAt, decidedBy: a.decidedBy,
            decidedAt: a.decidedAt, decision: a.decision, contest: a.contest)
    }
}
