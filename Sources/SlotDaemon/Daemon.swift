import Foundation
import Logging
import ServiceLifecycle
import SlotCore
import SlotPolicy
import SlotStore
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// Puts the daemon together and runs it until SIGTERM/SIGINT:
/// lock the state directory → open the store → choose the policy → recover → listen → `READY=1`.
public enum Daemon {
    /// `slotd --check-state`: opens the database (running its migrations) and says what it found; throws the
    /// store's error (e.g. a database written by a newer slotd) otherwise. Creates nothing when there is no state.
    public static func checkState(_ config: DaemonConfig) throws -> String {
        let path = config.stateDirectory + "/slotd.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            return "no database at \(path) yet: nothing to check"
        }
        let store = try SlotStore(path: path, durability: config.durability)
        return "database \(path): schema current (\(try store.appliedMigrations().count) migrations), "
            + "\(try store.nextRequestID() - 1) requests"
    }

    public static func run(_ config: DaemonConfig, logger: Logger) async throws {
        let fm = FileManager.default
        for directory in [config.stateDirectory, config.logs, config.stateDirectory + "/slots"] {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw DaemonError.stateDirectory("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let lock = try InstanceLock(directory: config.stateDirectory)
        defer { withExtendedLifetime(lock) {} }

        // Dev mode only: the tests of the write rule (Engine+WriteGuard) make every write fail while a file exists.
        let faultFile = config.mode == .dev ? ProcessInfo.processInfo.environment["SLOTD_DEV_STORE_FAULT_FILE"] : nil
        let store = try SlotStore(
            path: config.stateDirectory + "/slotd.sqlite", durability: config.durability,
            faultFile: faultFile)
        let inventory =
            config.executor == .slurm && ["detect", "slurm"].contains(config.inventory)
            ? try Engine.slurmInventory(config, logger: logger) : try InventoryDetection.inventory(config.inventory)
        let (engine, recovered) = try await prepare(config, store: store, inventory: inventory, logger: logger)
        logger.info(
            """
            recovered \(recovered.pending) pending, \(recovered.adopted) running re-adopted, \(recovered.lost) lost; \
            inventory \(inventory.nodes.count) node(s), \(inventory.totalGPUs) GPU(s)
            """)

        let listener: ControlServer.Listener
        if let fd = Systemd.listenDescriptor() {
            listener = .descriptor(fd)
            logger.info("socket-activated (fd \(fd))")
        } else {
            let socket =
                ProcessInfo.processInfo.environment["SLOTD_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
                ?? config.socket
            try? fm.createDirectory(
                atPath: (socket as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            listener = .path(socket)
            logger.info("listening on \(socket)")
        }
        let devAdmin: UInt32? = config.mode == .dev ? getuid() : nil
        // The listener says when it is bound; SystemdService then sends READY=1.
        let listening = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let server = ControlServer(
            listener: listener, limits: config.limits,
            dispatcher: Dispatcher(
                engine: engine, expensiveCalls: ExpensiveCalls(perMinute: config.limits.expensiveCallsPerMinute)),
            identify: {
                Caller.resolve(
                    uid: $0.uid, gid: $0.gid, pid: $0.pid, adminGroup: config.adminGroup,
                    devAdminUID: devAdmin)
            },
            logger: logger,
            onListening: {
                listening.continuation.yield()
                listening.continuation.finish()
            })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: EngineService(engine: engine)),
            .init(service: server),
            .init(service: SystemdService(engine: engine, listening: listening.stream, logger: logger)),
            .init(service: CheckpointService(store: store, logger: logger)),
        ]
        if config.metrics.enabled {
            services.append(
                .init(
                    service: MetricsExporter(
                        engine: engine, metrics: engine.metrics,
                        config: config.metrics, logger: logger)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.info("stopped; running slots keep running and are re-adopted at the next start")
    }

    /// The engine, its policy chosen and state recovered, ready to serve: everything of a start but the listener
    /// and the services. `executor` replaces the configured one (in-process tests give one that runs nothing).
    static func prepare(
        _ config: DaemonConfig, store: SlotStore, inventory: Inventory, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) },
        executor: Engine.ExecutorFactory? = nil
    ) async throws -> (Engine, recovered: (pending: Int, adopted: Int, lost: Int)) {
        var (policy, pendingFileApply) = try choosePolicy(config, store: store, logger: logger)
        do { policy.agreement = try LoadedAgreement.load(policy.policy, policyFile: config.policyFile) } catch {
            throw DaemonError.policy(error.parameters.reason ?? "\(error)")
        }
        let engine = try Engine(
            config: config, store: store, policy: policy, inventory: inventory, logger: logger,
            clock: clock, executor: executor)
        if let source = pendingFileApply {
            let system = Caller(uid: getuid(), gid: getgid(), pid: getpid(), user: "slotd", isAdmin: true)
            try await engine.install(
                source: source, file: config.policyFile, appliedBy: system,
                reason: "policy file \(config.policyFile) loaded at start")
        }
        let recovered = try await engine.recover()
        if config.mode == .dev, let user = Caller.userName(getuid()) {
            let category = policy.policy.categories.first { $0.maxConcurrentGPUs > 0 } ?? policy.policy.categories[0]
            try await engine.ensureAccount(user, category: category.id)
        }
        return (engine, recovered)
    }

    /// The policy in force at start: the newest applied version in the database, unless the policy file changed
    /// since it was last read (then the file is applied as a new version, when valid).
    static func choosePolicy(_ config: DaemonConfig, store: SlotStore, logger: Logger) throws
        -> (Engine.PolicyState, pendingFileApply: String?)
    {
        let history = try store.policyHistory()
        let fileText = try? String(contentsOfFile: config.policyFile, encoding: .utf8)
        let lastFromFile = history.last { $0.file == config.policyFile }
        let current = history.last
        let fileChanged = fileText.map { sha256Hex($0) != lastFromFile?.hash } ?? false
        if let current, !fileChanged, let policy = PolicyLoader.check(text: current.source, file: current.file).policy {
            return (
                Engine.PolicyState(policy: policy, source: current.source, hash: current.hash, file: current.file),
                nil
            )
        }
        guard let fileText else {
            throw DaemonError.policy("cannot read the policy file \(config.policyFile)")
        }
        let check = PolicyLoader.check(text: fileText, file: config.policyFile)
        guard let policy = check.policy else {
            let errors = check.errors.map(\.description).joined(separator: "\n")
            if let current, let old = PolicyLoader.check(text: current.source, file: current.file).policy {
                logger.error("the policy file has errors; the last applied policy stays in force:\n\(errors)")
                return (
                    Engine.PolicyState(
                        policy: old, source: current.source, hash: current.hash,
                        file: current.file, error: errors), nil
                )
            }
            throw DaemonError.policy("the policy file has errors:\n\(errors)")
        }
        for warning in check.warnings { logger.warning("\(warning)") }
        // Start on it at once; `install` records it (and its audit record) before anything is served.
        return (Engine.PolicyState(policy: policy, source: fileText, hash: "", file: config.policyFile), fileText)
    }
}

extension Engine.PolicyState {
    init(policy: Policy, source: String, hash: String, file: String) {
        self.init(policy: policy, source: source, hash: hash, file: file, error: nil)
    }
}

/// Why the daemon could not start. Printed as is, exit status 1.
public enum DaemonError: Error, CustomStringConvertible {
    case stateDirectory(String)
    case alreadyRunning(directory: String, pid: String)
    case policy(String)

    public var description: String {
        switch self {
        case .stateDirectory(let reason): reason
        case .alreadyRunning(let directory, let pid):
            "another slotd (pid \(pid)) is already running on the state directory \(directory); stop it first, "
                + "or give this one its own --state-directory"
        case .policy(let reason): reason
        }
    }
}

/// One daemon per state directory: an exclusive `flock` on `slotd.lock`, held for the process's life (the kernel
/// drops it if slotd dies, so a crash never leaves a stale lock).
final class InstanceLock {
    let fd: Int32

    init(directory: String) throws {
        let path = directory + "/slotd.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DaemonError.stateDirectory("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw DaemonError.alreadyRunning(directory: directory, pid: holder.isEmpty ? "?" : holder)
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit { close(fd) }
}

/// Runs the engine until graceful shutdown, then stops it taking work.
struct EngineService: Service {
    let engine: Engine

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            // Commits run until `shutdown` ends their stream, after the connections that wait for them are done.
            group.addTask { await engine.runFlushes() }
            await cancelWhenGracefulShutdown { await engine.run() }
            await engine.shutdown()
        }
    }
}

/// SIGHUP reloads (RELOADING=1 … READY=1), STATUS= every few seconds, WATCHDOG=1 while the engine answers, and
/// STOPPING=1 at shutdown.
struct SystemdService: Service {
    let engine: Engine
    /// Yields once the control socket is bound (ControlServer's `onListening`).
    let listening: AsyncStream<Void>
    let logger: Logger

    func run() async throws {
        let watchdog = Systemd.watchdogInterval()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [listening] in
                for await _ in listening { Systemd.notify("READY=1\nSTATUS=\(await engine.statusLine())") }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    Systemd.notify("RELOADING=1\nMONOTONIC_USEC=\(Systemd.monotonicMicroseconds())")
                    logger.info("SIGHUP: reloading the policy")
                    await engine.reload()
                    Systemd.notify("READY=1\nSTATUS=\(await engine.statusLine())")
                }
            }
            group.addTask {
                let period = watchdog.map { $0 / 2 } ?? .seconds(5)
                while !Task.isCancelled {
                    try? await Task.sleep(for: min(period, .seconds(5)))
                    let line = await engine.statusLine()
                    Systemd.notify(watchdog == nil ? "STATUS=\(line)" : "WATCHDOG=1\nSTATUS=\(line)")
                }
            }
            try? await gracefulShutdown()
            Systemd.notify("STOPPING=1\nSTATUS=stopping: finishing calls in progress")
            group.cancelAll()
        }
    }
}
