import ArgumentParser
import Foundation
import SlotClient
import SlotProtocol

/// `slotctl project apply|applications|contest|create|list|change`: projects with an award of GPU-hours for a window (Art. 25.1).
struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Projects: an applicant's award of GPU-hours for a window, in some sectors, for its members.",
        discussion: """
            A request on a project (`slotctl submit --project ID`) ranks under the applicant's category, is refused \
            when the window is not open, the sector was not awarded or the award would be exceeded (running slots \
            counted in full), and never outlives the window: its end is clamped to the window's close. At the \
            close, the project's pending requests are rejected with the reason. Admins create projects and \
            extend or top them up, with a reason, audited; the PI and members see theirs; nobody else sees a \
            project at all. Anyone may apply for one (`slotctl project apply`): the policy approves small \
            applications automatically on its routes, admins decide the others. A request that names no project \
            goes to the only open project you lead as PI, if there is exactly one; otherwise to your account. \
            Members are told a week (the policy's notice_before_close) before the window closes, in \
            `slotctl status`, `slotctl list` and `slotctl project list`.

            Examples:
              slotctl project apply mylab --applicant "A. Researcher" --registration 900101300123 \
                --category individual_researcher --sector healthcare --gpu-hours 500 --days 30 --purpose "..."
              slotctl project create kazllm --applicant "KazNU" --kind organisation --registration 990140000123 \\
                --category university --pi alice --member bob --sector education --award 10000 \\
                --opens 2027-01-01 --closes 2027-04-01 --purpose "Kazakh LLM" --reason "gateway route, ref 12"
              slotctl submit --project kazllm --gpus 8 -- torchrun train.py
              slotctl project change kazllm --closes 2027-05-01 --reason "extension granted, ref 31"
            """,
        subcommands: [Apply.self, Applications.self, Contest.self, Create.self, List.self, Change.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a project (admins; audited).")
        @Argument(help: "The project's id: letters, digits, '.', '_', '-'.") var id: String
        @Option(help: "The applicant: a person's or an organisation's name.") var applicant: String
        @Option(help: "person or organisation.") var kind = "organisation"
        @Option(help: "The applicant's registration identifier (shown to admins only).") var registration: String
        @Option(help: "The applicant category (see `slotctl policy show`).") var category: String
        @Option(help: "The principal investigator's Unix user.") var pi: String
        @Option(name: .customLong("member"), help: "A member's Unix user (repeatable).") var members: [String] = []
        @Option(name: .customLong("sector"), help: "An awarded sector (repeatable).") var sectors: [String]
        @Option(help: "GPU-hours awarded (at the policy's GPU-type rates).") var award: Double
        @Option(help: "When the window opens: YYYY-MM-DD (UTC) or ms since the epoch.") var opens: TimeArgument
        @Option(help: "When it closes (exclusive).") var closes: TimeArgument
        @Option(help: "What the project is for.") var purpose: String
        @Option(help: "Why (required; audited).") var reason: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply = try client.call(
                "io.slotd.Projects.Create",
                ProjectCreateParameters(
                    id: id, applicant: applicant, applicantKind: kind, registration: registration, category: category,
                    pi: pi, members: members, sectors: sectors, purpose: purpose, awardGPUHours: award,
                    opens: opens.milliseconds, closes: closes.milliseconds, reason: reason),
                as: ProjectReply.self)
            client.emit(reply) { ProjectCommand.describe(reply.project) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Your projects (as PI or member), with the award used and left; admins: every project.")
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply = try client.call("io.slotd.Projects.List", Empty(), as: ProjectListReply.self)
            client.emit(reply) {
                var table = TextTable(header: [
                    "PROJECT", "CATEGORY", "PI", "AWARD", "USED", "RUNNING", "LEFT", "WINDOW",
                ])
                for p in reply.projects {
                    table.add([
                        p.id, p.category, p.pi, ProjectCommand.hours(p.awardGPUHours),
                        ProjectCommand.hours(p.usedGPUHours),
                        ProjectCommand.hours(p.committedGPUHours),
                        ProjectCommand.hours(max(0, p.awardGPUHours - p.usedGPUHours - p.committedGPUHours)),
                        "\(Format.time(p.opens)) – \(Format.time(p.closes))",
                    ])
                }
                let notices = reply.projects.compactMap(\.notice).map { "notice: " + $0 }
                return reply.projects.isEmpty ? "no projects" : ([table.text] + notices).joined(separator: "\n")
            }
        }
    }

    struct Change: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change",
            abstract: "Extend a project's window, top up its award, add members (admins; audited).")
        @Argument(help: "The project's id.") var id: String
        @Option(help: "The window's new close: YYYY-MM-DD (UTC) or ms since the epoch.") var closes: TimeArgument?
        @Option(help: "GPU-hours to add to the award.") var addHours: Double?
        @Option(name: .customLong("add-member"), help: "A Unix user to add (repeatable).") var members: [String] = []
        @Option(help: "Why (required; audited).") var reason: String
        @OptionGroup var client: ClientOptions

        func run() throws {
            let reply = try client.call(
                "io.slotd.Projects.Change",
                ProjectChangeParameters(
                    id: id, closes: closes?.milliseconds, addGPUHours: addHours,
                    addMembers: members.isEmpty ? nil : members, reason: reason),
                as: ProjectReply.self)
            client.emit(reply) { ProjectCommand.describe(reply.project) }
        }
    }

    /// What the caller's projects have to tell (a window closing soon); nothing when the call fails, so a command
    /// that shows them never fails for their sake.
    static func notices(_ client: ClientOptions) -> [String] {
        guard let connection = try? VarlinkConnection(path: client.socketPath) else { return [] }
        connection.timeout = client.replyTimeout
        let reply = try? connection.call("io.slotd.Projects.List", Empty(), as: ProjectListReply.self)
        return reply?.projects.compactMap(\.notice) ?? []
    }

    static func hours(_ value: Double) -> String { String(format: "%.1f", value) }

    static func describe(_ p: ProjectInfo) -> String {
        [
            "project \(p.id): \(p.applicant) (\(p.applicantKind)\(p.registration.map { ", \($0)" } ?? "")), "
                + "category \(p.category)",
            "  PI \(p.pi); members \(p.members.isEmpty ? "-" : p.members.joined(separator: ", "))",
            "  sectors \(p.sectors.joined(separator: ", ")); purpose \(p.purpose)",
            "  award \(hours(p.awardGPUHours)) GPU-hours; used \(hours(p.usedGPUHours)), running \(hours(p.committedGPUHours))",
            "  window \(Format.time(p.opens)) – \(Format.time(p.closes))",
        ].joined(separator: "\n") + (p.notice.map { "\nnotice: " + $0 } ?? "")
    }
}

/// A point in time on the command line: `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SSZ`, or ms since the epoch.
struct TimeArgument: ExpressibleByArgument {
    var milliseconds: Int64

    init?(argument: String) {
        if let ms = Int64(argument), ms >= 0 {
            milliseconds = ms
            return
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = argument.count == 10 ? [.withFullDate] : [.withInternetDateTime]
        guard let date = formatter.date(from: argument) else { return nil }
        milliseconds = Int64(date.timeIntervalSince1970 * 1_000)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
