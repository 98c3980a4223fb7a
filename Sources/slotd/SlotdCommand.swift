import ArgumentParser
import Foundation
import Logging
import SlotDaemon

/// `slotd`: the slot daemon.
@main
struct SlotdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slotd",
        abstract: "The slotd daemon: grants sandboxed, time-limited compute slots.",
        discussion: """
            System mode (default) reads /etc/slotd/slotd.toml and is normally started by systemd \
            (slotd.socket, slotd.service). Dev mode needs no root: state, database, logs and the socket live \
            under ./.slotd-dev, the policy is Policies/default.toml, and the user running slotd is an admin with \
            an account, so `slotctl submit` works at once.

            Signals: SIGHUP re-reads the policy file (a bad file keeps the policy in force; `slotctl status` \
            shows the error); SIGTERM stops gracefully (running slots keep running and are re-adopted on the next \
            start).

            Examples:
              swift run slotd --dev
              slotd --dev --state-directory /tmp/slotd --inventory 1x4:32:256
              SLOTD_SOCKET=/tmp/s.sock slotd --dev
            """,
        version: SlotdVersion.current
    )

    @Flag(help: "Development mode: local state directory, embedded defaults, no root needed.")
    var dev = false

    @Option(
        help: "Configuration file (system mode default: /etc/slotd/slotd.toml; dev mode: none).",
        completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(help: "State directory (database, slot logs, socket in dev mode).", completion: .directory)
    var stateDirectory: String?

    @Option(help: "The allocation policy file.", completion: .file(extensions: ["toml"]))
    var policy: String?

    @Option(help: "The Varlink socket to listen on (also SLOTD_SOCKET; ignored when socket-activated).")
    var socket: String?

    @Option(
        help:
            "\"detect\", or a declared inventory COUNTxGPUS[:TYPE][:CPUS[:MEMORY_GIB]], e.g. 1x8:64:512 or 2x8:h100,1x4:l40s."
    )
    var inventory: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Flag(
        help: """
            Open the state directory's database, bring its schema up to date, and exit: 0 when this slotd can use it \
            (or there is none yet), 1 with the reason when it cannot (a database written by a newer slotd). The Debian \
            package runs it, as the slotd user, on upgrade and downgrade.
            """)
    var checkState = false

    func run() async throws {
        // Under systemd (stderr is the journal) entries go to the journal as structured fields; otherwise stderr.
        let journal = JournalLogHandler.stderrIsJournal
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = logLevel
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "slotd")
        do {
            var settings = dev ? DaemonConfig.dev() : DaemonConfig.system
            let file = config ?? (dev ? nil : "/etc/slotd/slotd.toml")
            if let file, config != nil || FileManager.default.fileExists(atPath: file) {
                settings = try DaemonConfig.load(file, over: settings)
            }
            if let stateDirectory {
                let state =
                    stateDirectory.hasPrefix("/")
                    ? stateDirectory
                    : FileManager.default.currentDirectoryPath + "/" + stateDirectory
                if settings.socket == settings.stateDirectory + "/io.slotd" { settings.socket = state + "/io.slotd" }
                settings.stateDirectory = state
            }
            if let policy {
                settings.policyFile =
                    policy.hasPrefix("/")
                    ? policy
                    : FileManager.default.currentDirectoryPath + "/" + policy
            }
            if let socket { settings.socket = socket }
            if let inventory { settings.inventory = inventory }
            if checkState {
                print(try Daemon.checkState(settings))
                return
            }
            try await Daemon.run(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("slotd: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
