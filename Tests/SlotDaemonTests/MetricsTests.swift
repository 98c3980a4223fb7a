import Foundation
import SlotProtocol
import XCTest

/// Prometheus metrics (issue 6): opt-in, as a textfile for node_exporter and on a loopback listener.
final class MetricsTests: XCTestCase {
    /// Invariant: with `[metrics]` set, the textfile and `GET /metrics` carry the submit counter, requests by state,
    /// queue depth per class, the wait histogram, GPU use and ended requests by state, with the values of what
    /// happened; any other path is a 404.
    func testMetricsTextfileAndListener() throws {
        let daemon = try DaemonHarness(inventory: "1x2:2:8")
        let port = 20_000 + Int(getpid() % 20_000)
        let textfile = daemon.state + "/slotd.prom"
        try daemon.configure(
            """
            [metrics]
            textfile = "\(textfile)"
            listen = "127.0.0.1:\(port)"
            interval_seconds = 1
            """)
        try daemon.start()
        func submit(_ gpus: Int) throws -> RequestReply {
            try daemon.json(
                RequestReply.self,
                [
                    "submit", "--sector", "healthcare", "--gpus", String(gpus), "--cpus", "1",
                    "--memory", "1G", "--duration", "1m", "--", "sleep", "60",
                ])
        }
        let running = try submit(1)
        let waiting = try submit(2)
        _ = try daemon.slotctl(["submit", "--sector", "no_such_sector", "--", "true"])
        defer {
            for id in [running.request.id, waiting.request.id] { _ = try? daemon.slotctl(["cancel", String(id)]) }
        }

        // The listener answers from an exposition refreshed every second (MetricsExporter).
        var body = ""
        let fresh = Date().addingTimeInterval(5)
        repeat {
            body = try fetch("http://127.0.0.1:\(port)/metrics")
            if body.contains("slotd_wait_seconds_count 1") { break }
            usleep(200_000)
        } while Date() < fresh
        for line in [
            "slotd_submits_total 2", "slotd_requests{state=\"pending\"} 1.0",
            "slotd_requests{state=\"running\"} 1.0", "slotd_gpus{state=\"total\"} 2.0",
            "slotd_gpus{state=\"used\"} 1.0", "slotd_requests_ended_total{state=\"rejected\"} 1",
            "slotd_queue_depth{class=\"domestic_startup/healthcare/0\"} 1.0",
            "slotd_wait_seconds_count 1",
        ] {
            XCTAssertTrue(body.contains(line), "no '\(line)' in:\n\(body)")
        }
        XCTAssertTrue(try fetch("http://127.0.0.1:\(port)/other", status: 404).contains("not found"))

        let deadline = Date().addingTimeInterval(5)
        var file = ""
        while Date() < deadline {
            file = (try? String(contentsOfFile: textfile, encoding: .utf8)) ?? ""
            if file.contains("slotd_submits_total 2") { break }
            usleep(100_000)
        }
        XCTAssertTrue(file.contains("slotd_submits_total 2"), file)
        XCTAssertTrue(file.contains("# TYPE slotd_wait_seconds histogram"), file)
    }

    /// GETs `url` with the system Python (no HTTP client in the test's dependencies), checking the status.
    private func fetch(_ url: String, status: Int = 200) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen(sys.argv[1], timeout=5); code, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                code, body = e.code, e.read()
            print(code); sys.stdout.write(body.decode())
            """, url,
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first.map(String.init), String(status), text)
        return lines.count > 1 ? String(lines[1]) : ""
    }
}
