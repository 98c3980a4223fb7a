import Foundation
import SlotSandbox
import Testing

/// Issue 16, findings 1, 2 and 11, with real distinct Unix identities: slotd (root) starts a slot as `nobody`
/// (65534), and nothing the request controls is used with root's rights on the way.
@Suite(.enabled(if: getuid() == 0, "switching to another user needs root")) struct HostileUserTests {
    static let nobody = SlotUser(uid: 65_534, gid: 65_534)
    let directory: String
    /// A root-owned 0700 directory with a secret: what another user keeps private.
    let privateDirectory: String

    init() throws {
        directory = "/tmp/slotd-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o1777)  // the applicant's scratch space: anyone may write here (sticky, like /tmp)
        privateDirectory = directory + "/private"
        try FileManager.default.createDirectory(atPath: privateDirectory, withIntermediateDirectories: true)
        try "the secret\n".write(toFile: privateDirectory + "/secret", atomically: false, encoding: .utf8)
        try "#!/bin/sh\necho ran-hidden-program\n".write(
            toFile: privateDirectory + "/prog", atomically: false, encoding: .utf8)
        chmod(privateDirectory + "/prog", 0o755)
        chmod(privateDirectory, 0o700)
    }

    func launch(
        _ id: UInt64, _ command: [String], workingDirectory: String? = nil,
        environment: [String: String] = ["PATH": "/usr/bin:/bin"]
    ) -> SlotLaunch {
        var launch = SlotLaunch(
            id: id, command: command, workingDirectory: workingDirectory ?? directory,
            environment: environment, timeLimit: 30_000, logFile: directory + "/slot-\(id).log")
        launch.user = Self.nobody
        return launch
    }

    func log(_ id: UInt64) -> String {
        (try? String(contentsOfFile: directory + "/slot-\(id).log", encoding: .utf8)) ?? ""
    }

    /// A C compiler for the preload library: the toolchain's clang, or the system's cc.
    static let compiler: String? = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang", "/opt/swift/usr/bin/clang"]
        .first { access($0, X_OK) == 0 }

    @Test(
        """
        Finding 1: a request's LD_PRELOAD never runs with root's rights (before: prlimit, the cgroup /bin/sh and \
        setpriv loaded it as euid 0); it runs in the workload only, as the applicant
        """, .enabled(if: compiler != nil))
    func preloadNeverRunsAsRoot() throws {
        let marks = directory + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        chmod(marks, 0o777)
        let source = directory + "/mark.c"
        try """
        #include <stdio.h>
        #include <stdlib.h>
        #include <unistd.h>
        __attribute__((constructor)) static void mark(void) {
            char path[512];
            snprintf(path, sizeof path, "%s/euid-%d-pid-%d", getenv("MARK_DIR"), (int)geteuid(), (int)getpid());
            FILE *f = fopen(path, "w");
            if (f) fclose(f);
        }
        """.write(toFile: source, atomically: false, encoding: .utf8)
        let library = directory + "/mark.so"
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: Self.compiler!)
        cc.arguments = ["-shared", "-fPIC", "-o", library, source]
        try cc.run()
        cc.waitUntilExit()
        try #require(cc.terminationStatus == 0, "the preload library compiles")
        chmod(library, 0o755)

        for confined in [false, true] where !confined || Bubblewrap.available {
            let id: UInt64 = confined ? 2 : 1
            let executor = ProcessExecutor(confined: confined)
            try executor.start(
                launch(
                    id, ["/bin/true"],
                    environment: [
                        "PATH": "/usr/bin:/bin", "LD_PRELOAD": library, "MARK_DIR": marks,
                    ]))
            #expect(executor.waitForOutcome(of: id, timeout: .seconds(30)) == .exited(code: 0), "\(log(id))")
        }
        let seen = try FileManager.default.contentsOfDirectory(atPath: marks)
        #expect(!seen.contains { $0.hasPrefix("euid-0-") }, "ran as root: \(seen)")
        #expect(seen.contains { $0.hasPrefix("euid-65534-") }, "the check can see a preload: \(seen)")
    }

    @Test(
        """
        Finding 2: a working directory inside another user's 0700 directory is refused as it is for the applicant's \
        own cd (before: chdir ran as root and `cat secret` printed it), and a missing file there gives the same \
        answer, so its existence stays hidden
        """)
    func workingDirectoryIsReachedAsTheApplicant() throws {
        let executor = ProcessExecutor(confined: false)
        var answers: [String] = []
        for (id, workdir) in [(11, privateDirectory), (12, privateDirectory + "/no-such-directory")] {
            do {
                try executor.start(launch(UInt64(id), ["/bin/cat", "secret"], workingDirectory: workdir))
                _ = executor.waitForOutcome(of: UInt64(id), timeout: .seconds(30))
                Issue.record("started in \(workdir): \(log(UInt64(id)))")
            } catch {
                answers.append(
                    "\(error)".replacingOccurrences(of: workdir, with: "DIR").replacingOccurrences(
                        of: "\(id)", with: "N"))
            }
        }
        #expect(answers.count == 2 && answers[0] == answers[1], "\(answers)")
        #expect(answers.first?.contains("Permission denied") == true, "\(answers)")
        #expect(!log(11).contains("the secret"))
        #expect(executor.running.isEmpty)
    }

    @Test("Finding 2: a program inside another user's 0700 directory is not run, and a missing one is not told apart")
    func programIsReachedAsTheApplicant() throws {
        let executor = ProcessExecutor(confined: false)
        var answers: [String] = []
        for (id, program) in [(21, privateDirectory + "/prog"), (22, privateDirectory + "/missing")] {
            do {
                try executor.start(launch(UInt64(id), [program]))
                _ = executor.waitForOutcome(of: UInt64(id), timeout: .seconds(30))
                Issue.record("ran \(program): \(log(UInt64(id)))")
            } catch {
                answers.append(
                    "\(error)".replacingOccurrences(of: program, with: "P").replacingOccurrences(of: "\(id)", with: "N")
                )
            }
        }
        #expect(answers.count == 2 && answers[0] == answers[1], "\(answers)")
        #expect(!log(21).contains("ran-hidden-program"))
    }

    @Test("Finding 11: Submit's directory check answers with the applicant's permissions, not root's")
    func directoryCheckAsTheApplicant() {
        #expect(UserAccess.checkDirectory(privateDirectory, as: Self.nobody) == EACCES)
        #expect(UserAccess.checkDirectory(privateDirectory + "/missing", as: Self.nobody) == EACCES)
        #expect(UserAccess.checkDirectory(privateDirectory, as: nil) == 0, "root may, so the check tells them apart")
        #expect(UserAccess.checkDirectory(directory, as: Self.nobody) == 0)
        #expect(UserAccess.checkDirectory(directory + "/missing", as: Self.nobody) == ENOENT)
        #expect(UserAccess.checkDirectory(privateDirectory + "/secret", as: nil) == ENOTDIR)
        #expect(UserAccess.checkExecutable(privateDirectory + "/prog", as: Self.nobody) == EACCES)
        #expect(UserAccess.checkExecutable(privateDirectory + "/prog", as: nil) == 0)
        // The thread's identity is restored: root still reads what nobody may not.
        #expect(access(privateDirectory + "/secret", R_OK) == 0)
        #expect(FileManager.default.contents(atPath: privateDirectory + "/secret") != nil)
    }

    @Test(
        "Invariant: confined by bubblewrap, an applicant's slot runs as her, in her own namespaces",
        .enabled(if: Bubblewrap.available))
    func confinedAsTheApplicant() throws {
        let executor = ProcessExecutor(confined: true)
        try executor.start(launch(31, ["/bin/sh", "-c", "id -u; echo $$; touch /etc/x 2>/dev/null || echo ro"]))
        #expect(executor.waitForOutcome(of: 31, timeout: .seconds(30)) == .exited(code: 0))
        let lines = log(31).split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0] == "65534" && (Int(lines[1]) ?? 99) < 10 && lines[2] == "ro", "\(lines)")
    }
}
