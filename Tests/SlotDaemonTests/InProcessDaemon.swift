import Foundation
import Logging
import SlotCore
@testable import SlotDaemon
import SlotProtocol
import SlotSandbox
import SlotStore

/// The daemon's logic without its binaries: an engine on a temporary database and the dispatcher in front of it,
/// called with any `Caller` (the kernel's answer is the listener's business, tested elsewhere). Slots run nothing
/// (`InertExecutor`). A call takes milliseconds, so a method's rules can be checked for every kind of caller.
struct InProcessDaemon {
    let engine: Engine
    let dispatcher: Dispatcher
    let directory: String
    /// The engine's group commits (`Engine.runFlushes`), which a Submit waits for.
    let commits: Task<Void, Never>

    /// A daemon in dev mode on `inventory`, with the repository's default policy; the user running the tests is
    /// its dev admin and has an account.
    static func start(inventory: String = "1x0:1:4") async throws -> InProcessDaemon {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotd-inproc-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        var config = DaemonConfig.dev(
            stateDirectory: directory,
            policyFile: DaemonHarness.repository.path + "/Policies/default.toml")
        config.inventory = inventory
        let store = try SlotStore(path: directory + "/slotd.sqlite", durability: .normal)
        var logger = Logger(label: "slotd-inproc")
        logger.logLevel = .critical
        let (engine, _) = try await Daemon.prepare(
            config, store: store, inventory: try InventoryDetection.inventory(inventory), logger: logger,
            executor: { _ in InertExecutor() })
        return InProcessDaemon(
            engine: engine, dispatcher: Dispatcher(engine: engine), directory: directory,
            commits: Task { await engine.runFlushes() })
    }

    func stop() async {
        await engine.shutdown()
        await commits.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One call as `caller`: the reply's parameters as JSON text, or the error's short name in `error`.
    struct Outcome {
        var error: String?
        var text: String
    }

    func call(_ method: String, _ parameters: String = "{}", as caller: Caller, more: Bool = false) async -> Outcome {
        let frame = Data("{\"method\":\"\(method)\",\"parameters\":\(parameters)\(more ? ",\"more\":true" : "")}".utf8)
        let reply: Data?
        switch await dispatcher.answer(frame, caller: caller) {
        case .reply(let data), .fatal(let data): reply = data
        case .deferred(let acknowledgement): reply = await Dispatcher.reply(to: acknowledgement)
        case .stream(let frames): reply = await frames.first { _ in true }
        case .none: reply = nil
        }
        guard var data = reply else { return Outcome(error: nil, text: "") }
        if data.last == 0 { data.removeLast() }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        let error = (object?["error"] as? String).map { String($0.split(separator: ".").last ?? "") }
        return Outcome(error: error, text: String(decoding: data, as: UTF8.self))
    }

    /// A call that must succeed, its reply's `parameters` decoded as `R`.
    func expect<R: Decodable>(_ r: R.Type, _ method: String, _ parameters: String = "{}", as caller: Caller)
        async throws -> R
    {
        let outcome = await call(method, parameters, as: caller)
        guard outcome.error == nil else { throw InProcessError.refused(method, outcome.text) }
        return try JSONDecoder().decode(ReplyEnvelope<R>.self, from: Data(outcome.text.utf8)).parameters
    }
}

struct ReplyEnvelope<R: Decodable>: Decodable { var parameters: R }

enum InProcessError: Error { case refused(String, String) }

/// An executor that runs nothing: a started slot is running until it is stopped, and then it has ended.
final class InertExecutor: SlotExecutor {
    func startSlot(_ launch: SlotLaunch) throws(ExecutorError) {}
    func stop(_ id: UInt64) throws(ExecutorError) {}
    func adopt() -> [ProcessExecutor.Adoption] { [] }
    var confinement: String { "none (an in-process test: slots run nothing)" }
}

extension Caller {
    /// A caller as the listener would resolve it, for in-process tests.
    static func test(_ user: String, uid: UInt32, admin: Bool = false) -> Caller {
        Caller(uid: uid, gid: uid, pid: 1, user: user, isAdmin: admin)
    }
}
