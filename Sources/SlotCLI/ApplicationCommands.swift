import ArgumentParser
import Foundation
import SlotDomain
import SlotReport
import SlotProtocol

/// `slotctl project apply|applications|contest`: an applicant's side of applications for projects.
extension ProjectCommand {
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Apply for a project: an award of GPU-hours for a window. You become its principal investigator.",
            discussion: """
                An application that fits one of the policy's automatic routes (`slotctl policy show` lists them) \
                is approved at once and the project created; others wait for an admin, who may approve a \
                smaller award or a shorter window, or decline with a reason. Follow it with \
                `slotctl project applications`; contest a decline with `slotctl project contest ID --reason ...`. \
                The category you claim is checked by the admins and recorded in the audit trail.

                Example:
                  slotctl project apply kazllm --applicant "KazNU" --kind organisation --registration 990140000123 \\
                    --category university_research --sector education_science --member bob \\
                    --gpu-hours 4000 --days 30 --purpose "Kazakh LLM fine-tuning"
                """)
        @Argument(help: "The project id you ask for: letters, digits, '.', '_', '-'.") var project: String
        @Option(help: "The applicant: your name, or your organisation's.") var applicant: String
        @Option(help: "person or organisation.") var kind = "person"
        @Option(help: "The applicant's registration identifier (IIN or BIN; admins and you only).")
        var registration: String
        @Option(help: "The applicant category you claim (see `slotctl policy show`).") var category: String
        @Option(name: .customLong("sector"), help: "A sector the work is in (repeatable).") var sectors: [String]
        @Option(name: .customLong("member"), help: "A member's Unix user (repeatable).") var members: [String] = []
        @Option(help: "GPU-hours asked for.") var gpuHours: Double
        @Option(help: "When the window opens: YYYY-MM-DD (UTC) or ms since the epoch (default: now).")
        var opens: TimeArgument?
        @Option(help: "When it closes (exclusive); or use --days.") var closes: TimeArgument?
        @Option(help: "The window's length in days, from --opens.") var days: Int?
        @Option(help: "A route of the policy's (default: the first automatic route it fits, else an admin).")
        var route: String?
        @Option(help: "What the project is for.") var purpose: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard (closes == nil) != (days == nil) else { throw ValidationError("give one of --closes and --days") }
            if let days, !(1...3_660).contains(days) { throw ValidationError("--days must be 1 to 3660") }
        }

        func run() throws {
            let start = opens?.milliseconds ?? Int64(Date().timeIntervalSince1970 * 1_000)
            let end = closes?.milliseconds ?? start + Int64(days ?? 0) * 86_400_000
            let reply = try client.call(
                "io.slotd.Projects.Apply",
                ApplyParameters(
                    project: project, applicant: applicant, applicantKind: kind, registration: registration,
                    category: category, members: members, sectors: sectors, purpose: purpose, gpuHours: gpuHours,
                    opens: opens?.milliseconds, closes: end, route: route),
                as: ApplicationReply.self)
            client.emit(reply) { ProjectCommand.describe(reply.application) }
        }
    }

    struct Applications: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "applications", abstract: "Your applications and their decisions, newest first.")
        @Option(help: "Only this state: pending, approved, declined or contested.") var state: String?
        @OptionGroup var client: ClientOptions
        func run() throws {
            try ProjectCommand.listApplications(state: state, client)
        }
    }

    struct Contest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "contest",
            abstract: "Contest a declined application, with your reason: an admin decides again (once).")
        @Argument(help: "The application's id.") var id: Int64
        @Option(help: "Why the decision should change.") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            let reply = try client.call(
                "io.slotd.Projects.ContestDecision", ContestApplicationParameters(id: id, reason: reason),
                as: ApplicationReply.self)
            client.emit(reply) { ProjectCommand.describe(reply.application) }
        }
    }

    /// The caller's applications (admins: everyone's), as a table or JSON.
    static func listApplications(state: String?, _ client: ClientOptions) throws {
        let reply = try client.call(
            "io.slotd.Projects.Applications", ApplicationListParameters(state: state), as: ApplicationListReply.self)
        client.emit(reply) { table(reply.applications) }
    }

    static func table(_ applications: [ApplicationInfo]) -> String {
        guard !applications.isEmpty else { return "no applications" }
        return Format.table(
            ["ID", "PROJECT", "FILED BY", "APPLICANT", "CATEGORY", "GPU-H", "WINDOW", "ROUTE", "STATE", "DECISION"],
            applications.map {
                [
                    String($0.id), $0.project, $0.filedBy, $0.applicant, $0.category, hours($0.gpuHours),
                    "\(Format.time($0.opens)) – \(Format.time($0.closes))", $0.route ?? "-", $0.state,
                    $0.decision ?? "-",
                ]
            })
    }

    static func describe(_ a: ApplicationInfo) -> String {
        var lines = [
            "application \(a.id) for project \(a.project): \(a.state)",
            "  applicant \(a.applicant) (\(a.applicantKind), \(a.registration)), category \(a.category) claimed",
            "  \(hours(a.gpuHours)) GPU-hours, \(Format.time(a.opens)) – \(Format.time(a.closes)); "
                + "sectors \(a.sectors.joined(separator: ", ")); route \(a.route ?? "none (admin review)")",
        ]
        if let at = a.decidedAt {
            lines.append("  decided \(Format.time(at)) by \(a.decidedBy ?? "?"): \(a.decision ?? "")")
        }
        if let contest = a.contest { lines.append("  contested: \(contest)") }
        switch a.state {
        case "pending", "contested":
            lines.append("  an admin will decide; follow it with `slotctl project applications`")
        case "approved":
            lines.append("  project \(a.project) is open to its members: slotctl submit --project \(a.project) ...")
        default: lines.append("  contest the decision with `slotctl project contest \(a.id) --reason ...`")
        }
        return lines.joined(separator: "\n")
    }
}

/// `slotctl admin applications list|approve|decline` and `slotctl admin awards`.
extension AdminCommand {
    struct Applications: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "applications",
            abstract: "Review applications for projects: list, approve (possibly less), decline (admins; audited).",
            discussion: """
                Approval creates the project, its filer as the principal investigator. The reason is shown to \
                the applicant and kept in the audit trail. A declined application may be contested once; it then \
                shows as contested and is decided again the same way.

                Examples:
                  slotctl admin applications list --state pending
                  slotctl admin applications approve 7 --gpu-hours 20000 --closes 2027-06-01 --reason "committee 12"
                  slotctl admin applications decline 8 --reason "the purpose is not research; see Art. 25"
                """,
            subcommands: [List.self, Approve.self, Decline.self], defaultSubcommand: List.self)

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list", abstract: "Every application, newest first.")
            @Option(help: "Only this state: pending, approved, declined or contested.") var state: String?
            @OptionGroup var client: ClientOptions
            func run() throws {
                try ProjectCommand.listApplications(state: state, client)
            }
        }

        struct Approve: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "approve", abstract: "Approve an application and create its project.")
            @Argument(help: "The application's id.") var id: Int64
            @Option(help: "Award fewer GPU-hours than asked.") var gpuHours: Double?
            @Option(help: "Close the window earlier than asked: YYYY-MM-DD (UTC) or ms.") var closes: TimeArgument?
            @Option(help: "Why (required; shown to the applicant; audited).") var reason: String
            @OptionGroup var client: ClientOptions
            func run() throws {
                let reply = try client.call(
                    "io.slotd.Projects.Decide",
                    DecideParameters(
                        id: id, approve: true, gpuHours: gpuHours, closes: closes?.milliseconds, reason: reason),
                    as: ApplicationReply.self)
                client.emit(reply) { ProjectCommand.describe(reply.application) }
            }
        }

        struct Decline: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "decline", abstract: "Decline an application, with the reason the applicant sees.")
            @Argument(help: "The application's id.") var id: Int64
            @Option(help: "Why (required; shown to the applicant; audited).") var reason: String
            @OptionGroup var client: ClientOptions
            func run() throws {
                let reply = try client.call(
                    "io.slotd.Projects.Decide", DecideParameters(id: id, approve: false, reason: reason),
                    as: ApplicationReply.self)
                client.emit(reply) { ProjectCommand.describe(reply.application) }
            }
        }
    }

    struct Awards: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "awards",
            abstract: "The year's awards for the public record: category, sectors, GPU-hours awarded and used, window.",
            discussion: """
                Every project whose window overlaps the calendar year (UTC), with no applicant, person or project \
                id (Art. 8, 10). Used counts ended slots and running ones at their full length.

                Example:
                  slotctl admin awards --year 2026 --csv > awards-2026.csv
                """)
        @Option(help: "The calendar year.") var year: Int
        @Flag(help: "Print CSV (RFC 4180) instead of a table.") var csv = false
        @OptionGroup var client: ClientOptions
        func run() throws {
            let reply = try client.call(
                "io.slotd.Reports.Awards", AwardsParameters(year: year), as: AwardsReply.self)
            let rows = reply.awards.map {
                [
                    $0.category, $0.sectors.joined(separator: ";"), ProjectCommand.hours($0.awardGPUHours),
                    ProjectCommand.hours($0.usedGPUHours), Format.time($0.opens), Format.time($0.closes),
                    $0.route ?? "-",
                ]
            }
            let header = ["CATEGORY", "SECTORS", "GPU-H AWARDED", "GPU-H USED", "OPENS", "CLOSES", "ROUTE"]
            if csv && !client.json {
                print(
                    ([header] + rows).map { $0.map(AllocationReport.csvField).joined(separator: ",") }
                        .joined(separator: "\r\n"), terminator: "\r\n")
                return
            }
            client.emit(reply) { rows.isEmpty ? "no awards in \(year)" : Format.table(header, rows) }
        }
    }
}
