import ArgumentParser
import Foundation
import SlotProtocol

/// `slotctl node drain|resume|down NAME --reason ...`: an admin takes a node out of service or back.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Drain, resume or mark down a node (admins; audited, kept across restarts).",
        discussion: """
            A draining node runs the slots it has and takes nothing new; resumed, it takes work again. A node \
            marked down loses its slots (recorded as lost; a gang on it ends on all its nodes). `slotctl \
            resources` shows every node's state and why.

            Examples:
              slotctl node drain node3 --reason "GPU 5 ECC errors, RMA 4411"
              slotctl node resume node3 --reason "GPU replaced"
            """,
        subcommands: [Drain.self, Resume.self, Down.self])

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drain", abstract: "Let the node's slots run out; place nothing new on it.")
        @OptionGroup var target: NodeTarget
        func run() throws { try target.set("draining") }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Put a drained or down node back in service.")
        @OptionGroup var target: NodeTarget
        func run() throws { try target.set("up") }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "down", abstract: "Take the node out now: its slots are lost.")
        @OptionGroup var target: NodeTarget
        func run() throws { try target.set("down") }
    }
}

/// The node and the reason every `slotctl node` verb takes.
struct NodeTarget: ParsableArguments {
    @Argument(help: "The node's name (see `slotctl resources`).") var name: String
    @Option(help: "Why (required; recorded in the audit trail and shown by `slotctl resources`).") var reason: String
    @OptionGroup var client: ClientOptions

    func set(_ state: String) throws {
        let reply = try client.call(
            "io.slotd.System.SetNodeState", NodeStateParameters(node: name, state: state, reason: reason),
            as: NodeReply.self)
        client.emit(reply) {
            let node = reply.node
            return "node \(node.name): \(node.state ?? "up") (\(node.freeGPUs)/\(node.gpus) GPUs free)"
        }
    }
}
