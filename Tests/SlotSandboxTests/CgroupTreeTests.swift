import Foundation
import SlotSandbox
import Testing

/// The process executor's cgroups: limit files on a stand-in directory, and containment in the real cgroup v2 tree
/// where slotd's cgroup is writable (root; on this project's machines the hybrid tree has no limit controllers).
@Suite struct CgroupTreeTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotd-cg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func launch(_ id: UInt64, _ script: String, limit: Int64 = 30_000) -> SlotLaunch {
        SlotLaunch(
            id: id, command: ["/bin/sh", "-c", script], workingDirectory: directory,
            environment: ["PATH": "/usr/bin:/bin"], timeLimit: limit, logFile: directory + "/slot-\(id).log")
    }

    func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Invariant: a slot's cgroup gets exactly the memory, CPU and task limits its controllers allow")
    func limitFiles() throws {
        let tree = CgroupTree(directory: directory, controllers: ["memory", "cpu", "pids"])
        var slot = launch(1, "true")
        slot.cpus = 2
        slot.memoryMiB = 512
        slot.tasksMax = 100
        try tree.create(for: slot)
        let path = tree.path(of: 1)
        #expect(read(path + "/memory.max") == "536870912")
        #expect(read(path + "/memory.swap.max") == "0")
        #expect(read(path + "/cpu.max") == "200000 100000")
        #expect(read(path + "/pids.max") == "100")
        tree.remove(1)
        #expect(!FileManager.default.fileExists(atPath: path))

        // Without controllers the cgroup only contains: no limit file is written.
        let bare = CgroupTree(directory: directory, controllers: [])
        try bare.create(for: slot)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bare.path(of: 1)).isEmpty)
        bare.remove(1)
    }

    @Test("Invariant: a cgroup that cannot be made is a named start failure, not a slot run without its limits")
    func createFailureIsNamed() throws {
        let tree = CgroupTree(directory: directory + "/missing", controllers: ["memory"])
        let executor = ProcessExecutor(confined: false, cgroups: tree)
        #expect(throws: ExecutorError.self) { try executor.start(launch(2, "true")) }
        #expect(executor.running.isEmpty)
    }

    @Test("Invariant: a slot the kernel killed at its memory limit (memory.events oom_kill) is reported out of memory")
    func outOfMemoryFromEvents() throws {
        let tree = CgroupTree(directory: directory, controllers: ["memory"])
        let executor = ProcessExecutor(confined: false, cgroups: tree)
        var slot = launch(3, "sleep 0.5; exit 137")
        slot.memoryMiB = 64
        try executor.start(slot)
        // What the kernel writes when its OOM killer ends a process of the cgroup (a stand-in directory here).
        try "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n".write(
            toFile: tree.path(of: 3) + "/memory.events",
            atomically: false, encoding: .utf8)
        #expect(executor.waitForOutcome(of: 3, timeout: .seconds(30)) == .outOfMemory)
        #expect(!FileManager.default.fileExists(atPath: tree.path(of: 3)), "the slot's cgroup is removed")
    }

    @Test(
        "Invariant: a cgroup counts as delegated only with systemd's delegate attribute set to 1",
        .enabled(if: access("/usr/bin/python3", X_OK) == 0))
    func delegation() throws {
        #expect(!CgroupTree.delegated(directory))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = ["-c", "import os, sys; os.setxattr(sys.argv[1], 'user.delegate', b'1')", directory]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "this file system takes user xattrs")
        #expect(CgroupTree.delegated(directory))
    }

    @Test("Invariant: the executor's one-line confinement says whether slots get cgroups and which limits apply")
    func confinementLine() {
        let none = ProcessExecutor(confined: false).confinement
        #expect(none.contains("no namespaces") && none.contains("no cgroups (memory and CPU not enforced)"))
        let bare = ProcessExecutor(confined: false, cgroups: CgroupTree(directory: directory, controllers: []))
            .confinement
        #expect(bare.contains("a cgroup each under \(directory) (containment only"))
        let full = ProcessExecutor(
            confined: true,
            cgroups: CgroupTree(
                directory: directory,
                controllers: ["pids", "memory", "cpu"])
        ).confinement
        #expect(full.contains("bubblewrap namespaces") && full.contains("with cpu, memory, pids limits"))
    }

    /// The real tree, when slotd's cgroup is writable here.
    static let realTree: CgroupTree? = {
        guard getuid() == 0, case .success(let tree) = CgroupTree.detect() else { return nil }
        return tree
    }()

    @Test(
        "Invariant: the workload runs in its own cgroup from its first instruction, and the cgroup goes with it",
        .enabled(if: realTree != nil))
    func workloadJoinsItsCgroup() throws {
        let tree = try #require(Self.realTree)
        let executor = ProcessExecutor(confined: false, cgroups: tree)
        let id = UInt64(900_000 + getpid() % 1_000)
        try executor.start(launch(id, "grep '^0::' /proc/self/cgroup"))
        #expect(executor.waitForOutcome(of: id, timeout: .seconds(30)) == .exited(code: 0))
        let mount = try #require(Self.mountPrefix(of: tree))
        #expect(read(directory + "/slot-\(id).log") == "0::" + String(tree.path(of: id).dropFirst(mount.count)))
        #expect(!FileManager.default.fileExists(atPath: tree.path(of: id)))
    }

    @Test(
        "Invariant: stopping a slot also ends a process that left its process group with setsid",
        .enabled(if: realTree != nil))
    func escapeeEndsWithTheSlot() throws {
        let tree = try #require(Self.realTree)
        let executor = ProcessExecutor(gracePeriod: .milliseconds(300), confined: false, cgroups: tree)
        let id = UInt64(910_000 + getpid() % 1_000)
        let pidFile = directory + "/escapee.pid"
        try executor.start(launch(id, "setsid sleep 120 & echo $! > \(pidFile); sleep 120"))
        var escapee: pid_t?
        for _ in 0..<200 where escapee == nil {
            escapee = read(pidFile).flatMap { pid_t($0) }
            usleep(10_000)
        }
        let pid = try #require(escapee)
        defer { if Self.alive(pid) { kill(pid, SIGKILL) } }  // only if the check below fails
        #expect(Self.alive(pid))
        #expect(getpgid(pid) != getpgid(executor.pid(of: id) ?? 0), "it left the slot's group")
        try executor.stop(id)
        #expect(executor.waitForOutcome(of: id, timeout: .seconds(30)) == .stopped)
        var gone = false
        for _ in 0..<200 where !gone {
            gone = !Self.alive(pid)
            usleep(10_000)
        }
        #expect(gone, "the escapee \(pid) outlived its slot")
    }

    /// Running, not a zombie waiting for its new parent to reap it.
    static func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// The cgroup v2 mount point that `tree.directory` lies under.
    static func mountPrefix(of tree: CgroupTree) -> String? {
        ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"].first { tree.directory.hasPrefix($0) }
    }
}
