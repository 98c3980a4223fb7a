import Foundation
import SlotCore
import SlotSlurm
import SlotProtocol
import SlotStore

/// Projects (issue 20): an applicant's award of GPU-hours for a window, in some sectors, for its members. Each is
/// scheduled as an account of its own, `project:ID`, in the applicant's category, carrying its award
/// (`Scheduler+Awards`): admission, the pass, the window's close and the slot's end follow from there.
extension Engine {
    /// The scheduler account of project `id` (user names cannot hold ':', so it never meets one).
    static func projectAccount(_ id: String) -> String { "project:" + id }

    /// Registers `project` in the scheduler (on creation, change and restart).
    func scheduleProject(_ project: StoredProject) {
        if let old = projects[project.id] {
            for user in old.members + [old.pi] { projectsOfUser[user]?.remove(project.id) }
        }
        for user in project.members + [project.pi] { projectsOfUser[user, default: []].insert(project.id) }
        projects[project.id] = project
        let award = Award(
            gpuHours: project.awardGPUHours, opens: project.opens, closes: project.closes, sectors: project.sectors)
        perform(
            scheduler.handle(
                .accountChanged(
                    Account(name: Self.projectAccount(project.id), category: project.category, award: award)),
                now: now))
    }

    /// At start: every project, and what ended slots used of each award since its window opened.
    func recoverProjects() throws(StoreError) {
        for project in try store.projects() {
            scheduleProject(project)
            let account = Self.projectAccount(project.id)
            var used = 0.0
            for record in try store.usage(since: project.opens) where record.account == account {
                used += record.gpuHours * (record.node.map { scheduler.budgetRate(ofNode: $0) } ?? 1)
            }
            scheduler.restoreAwardUse(account: account, gpuHours: used)
        }
    }

    /// The project a Submit names, for its caller: a member or the PI, or the project is not found (a stranger
    /// does not learn it exists).
    func projectForSubmit(_ id: String, _ caller: Caller) throws(WireError) -> StoredProject {
        guard let project = projects[id], project.includes(caller.user) else {
            throw WireError(
                .requestsInvalidParameter, .init(parameter: "project", reason: "no project '\(id)' of yours"))
        }
        return project
    }

    /// What a project's fields must be, whether an admin creates it or an application asks for it.
    struct ProjectFields {
        var id, applicant, applicantKind, registration, category, pi: String
        var members, sectors: [String]
        var purpose: String
        var gpuHours: Double
        var opens, closes: Int64
    }

    func checkProject(_ p: ProjectFields, hoursParameter: String) throws(WireError) {
        let i = WireError.Interface.projects
        guard Self.validName(p.id) else {
            throw .invalid(i, parameter: "id", "letters, digits, '.', '_', '-', at most 32, not starting with '-'")
        }
        guard projects[p.id] == nil else { throw .invalid(i, parameter: "id", "project '\(p.id)' exists") }
        guard ["person", "organisation"].contains(p.applicantKind) else {
            throw .invalid(i, parameter: "applicantKind", "person or organisation")
        }
        for (name, value) in [("applicant", p.applicant), ("registration", p.registration), ("purpose", p.purpose)]
        where value.isEmpty || value.utf8.count > 500 {
            throw .invalid(i, parameter: name, "1 to 500 bytes")
        }
        let policy = policyState.policy
        guard policy.category(p.category) != nil else {
            throw .invalid(i, parameter: "category", "unknown category '\(p.category)'")
        }
        guard Self.validName(p.pi), p.members.count <= 1_000, p.members.allSatisfy(Self.validName) else {
            throw .invalid(i, parameter: "members", "Unix user names (at most 1000)")
        }
        guard !p.sectors.isEmpty, p.sectors.count <= 64, p.sectors.allSatisfy({ policy.sector($0) != nil }) else {
            throw .invalid(i, parameter: "sectors", "one or more of the policy's sectors")
        }
        guard p.gpuHours > 0, p.gpuHours <= 1e9 else {
            throw .invalid(i, parameter: hoursParameter, "more than 0, at most 1e9")
        }
        guard p.opens < p.closes else { throw .invalid(i, parameter: "closes", "after opens") }
    }

    /// What members are told once the window closes within the policy's notice period (nil before, and after it).
    func projectNotice(_ project: StoredProject) -> String? {
        let notice = policyState.policy.projects.noticeBeforeClose.milliseconds
        guard now < project.closes, now >= project.closes - notice else { return nil }
        let hours = Double(project.closes - now) / 3_600_000
        let left = hours >= 48 ? "\(Int(hours / 24)) days" : "\(Int(hours.rounded(.up))) hours"
        return "project \(project.id)'s window closes at \(Timestamp(project.closes)) (in \(left)): pending requests "
            + "are then rejected and running slots end; ask an admin for an extension if needed"
    }

    /// The project a Submit naming none goes to: the only project the user leads (as PI) whose window is open now.
    /// Membership alone never steers a request: an applicant may list anyone as a member, and a request on the
    /// project is shown to its PI. A user with no such project (or several) submits on their own account.
    func onlyOpenProject(of user: String) -> StoredProject? {
        guard let ids = projectsOfUser[user] else { return nil }
        var found: StoredProject?
        for id in ids {
            guard let project = projects[id], project.pi == user, project.opens <= now, now < project.closes else {
                continue
            }
            guard found == nil else { return nil }
            found = project
        }
        return found
    }

    func projectInfo(_ project: StoredProject, _ caller: Caller) -> ProjectInfo {
        let use = scheduler.awardUse(account: Self.projectAccount(project.id))
        var info = ProjectInfo(
            id: project.id, applicant: project.applicant, applicantKind: project.applicantKind,
            registration: caller.isAdmin ? project.registration : nil, category: project.category, pi: project.pi,
            members: project.members, sectors: project.sectors, purpose: project.purpose,
            awardGPUHours: project.awardGPUHours, opens: project.opens, closes: project.closes,
            usedGPUHours: use?.used ?? 0, committedGPUHours: use?.committed ?? 0, createdAt: project.createdAt)
        info.notice = projectNotice(project)
        return info
    }

    func createProject(_ p: ProjectCreateParameters, _ caller: Caller) throws(WireError) -> ProjectInfo {
        let i = WireError.Interface.projects
        try Self.requireReason(p.reason, i)
        try checkProject(
            ProjectFields(
                id: p.id, applicant: p.applicant, applicantKind: p.applicantKind, registration: p.registration,
                category: p.category, pi: p.pi, members: p.members, sectors: p.sectors, purpose: p.purpose,
                gpuHours: p.awardGPUHours, opens: p.opens, closes: p.closes),
            hoursParameter: "awardGPUHours")
        let project = StoredProject(
            id: p.id, applicant: p.applicant, applicantKind: p.applicantKind, registration: p.registration,
            category: p.category, pi: p.pi, members: Array(Set(p.members)).sorted(), sectors: p.sectors,
            purpose: p.purpose, awardGPUHours: p.awardGPUHours, opens: p.opens, closes: p.closes, createdAt: now)
        do {
            try store.save(
                project,
                audit: audit(
                    caller, "project.create", p.id, p.reason,
                    "applicant \(p.applicant) (\(p.applicantKind)), category \(p.category), "
                        + "\(p.awardGPUHours) GPU-hours, \(Timestamp(p.opens)) to \(Timestamp(p.closes))"),
                at: now)
        } catch { throw .internalError("\(error)") }
        scheduleProject(project)
        return projectInfo(project, caller)
    }

    /// An extension of the window, a top-up of the award, members added: admin, with a reason, audited.
    func changeProject(_ p: ProjectChangeParameters, _ caller: Caller) throws(WireError) -> ProjectInfo {
        let i = WireError.Interface.projects
        try Self.requireReason(p.reason, i)
        guard var project = projects[p.id] else {
            throw WireError(.projectsNotFound, .init(reason: "no project '\(p.id)'"))
        }
        var changes: [String] = []
        if let closes = p.closes {
            guard closes > project.opens else { throw .invalid(i, parameter: "closes", "after the window opens") }
            changes.append("window closes \(Timestamp(project.closes)) -> \(Timestamp(closes))")
            project.closes = closes
            project.noticedAt = nil  // members are told again before the new close
        }
        if let more = p.addGPUHours {
            guard more > 0, more <= 1e9 else { throw .invalid(i, parameter: "addGPUHours", "more than 0") }
            changes.append("award \(project.awardGPUHours) -> \(project.awardGPUHours + more) GPU-hours")
            project.awardGPUHours += more
        }
        if let members = p.addMembers {
            guard members.allSatisfy(Self.validName), project.members.count + members.count <= 1_000 else {
                throw .invalid(i, parameter: "addMembers", "Unix user names (at most 1000 members)")
            }
            changes.append("members + \(members.joined(separator: ", "))")
            project.members = Array(Set(project.members + members)).sorted()
        }
        guard !changes.isEmpty else { throw .invalid(i, parameter: "closes", "nothing to change") }
        do {
            try store.save(
                project, audit: audit(caller, "project.change", p.id, p.reason, changes.joined(separator: "; ")),
                at: now)
        } catch { throw .internalError("\(error)") }
        scheduleProject(project)
        return projectInfo(project, caller)
    }

    /// The caller's projects (PI or member); every project for admins.
    func listProjects(_ caller: Caller) -> [ProjectInfo] {
        projects.values.filter { caller.isAdmin || $0.includes(caller.user) }.sorted { $0.id < $1.id }
            .map { projectInfo($0, caller) }
    }

    /// Whether `caller` is the PI of the project `account` is (a PI sees the project's requests).
    func isPrincipalInvestigator(of account: String, _ caller: Caller) -> Bool {
        guard account.hasPrefix("project:") else { return false }
        return projects[String(account.dropFirst(8))]?.pi == caller.user
    }

    static let noticeHooks = DispatchQueue(label: "slotd.project-notice-hooks")

    /// Tells each project's members once, when its window enters the notice period: a journal entry and the
    /// configured hook (`project_notice_command`). Recorded, so a restart does not tell them twice. Checked at most
    /// once a minute.
    func noticeClosingProjects() {
        guard now >= nextNoticeCheck else { return }
        nextNoticeCheck = now + 60_000
        for project in projects.values where project.noticedAt == nil {
            guard let notice = projectNotice(project) else { continue }
            do { try store.markNoticed(project: project.id, at: now) } catch {
                logger.error("project \(project.id): cannot record the closing notice: \(error)")
                continue
            }
            projects[project.id]?.noticedAt = now
            logger.warning(
                "\(notice)",
                metadata: [
                    "project": "\(project.id)", "members": "\(([project.pi] + project.members).joined(separator: ","))",
                ])
            if let command = config.projectNoticeCommand {
                let arguments = [project.id, "\(Timestamp(project.closes))", project.pi] + project.members
                let logger = self.logger
                // One hook at a time: a slow mailer never holds more than one thread.
                Self.noticeHooks.async {
                    do {
                        let result = try Subprocess.run(command, arguments, environment: [:], timeout: 30, limit: 4_096)
                        if result.status != 0 {
                            logger.error("project_notice_command exited \(result.status) for project \(arguments[0])")
                        }
                    } catch {
                        logger.error("project_notice_command failed for project \(arguments[0]): \(error)")
                    }
                }
            }
        }
    }
}
