import Foundation
import SlotCore
import SlotSim
import Testing

/// Traces are read strictly: every malformed line is named, and the shared real traces read completely.
@Suite struct TraceReaderTests {
    /// `$SLOTD_SHARED_DIR/traces` when set, else `../shared/traces` beside the repository.
    static var traces: URL {
        if let shared = ProcessInfo.processInfo.environment["SLOTD_SHARED_DIR"] {
            return URL(fileURLWithPath: shared).appendingPathComponent("traces")
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/traces")
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slotd-\(UUID().uuidString)-\(name)")
            .path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Invariant: Philly rows are read in submit order, with UTC timestamps and seconds as milliseconds")
    func philly() throws {
        let path = try write(
            """
            timestamp,duration,num_gpus,gpu_time,cluster
            2017-10-09 07:01:55,66.0,1,66.0,11cb48
            2017-09-04 00:00:00,2951.0,2,5902.0,6214e9

            """, "p.csv")
        let jobs = try TraceReader.read(path: path, format: .philly)
        #expect(jobs.map(\.line) == [3, 2])
        #expect(jobs[0].submittedAt == 1_504_483_200_000)  // 2017-09-04T00:00:00Z
        #expect(jobs[0].runtime == 2_951_000 && jobs[0].gpus == 2 && jobs[0].requestedLimit == nil)
        #expect(jobs[1].owner.hasPrefix("tenant-11cb48-u"))
    }

    @Test("Invariant: SWF reads the limit, processors and user, and skips jobs with unknown run time")
    func swf() throws {
        let path = try write(
            """
            ; UnixStartTime: 1000
                1   0  5  100  4  1.5  -1  8  3600  -1 1 7 1 -1 -1 1 -1 -1
                2  10  5   -1  4  1.5  -1  8  3600  -1 1 7 1 -1 -1 1 -1 -1

            """, "t.swf")
        let jobs = try TraceReader.read(path: path, format: .swf)
        #expect(jobs.count == 1)
        #expect(jobs[0].submittedAt == 1_000_000 && jobs[0].runtime == 100_000)
        #expect(jobs[0].cpus == 8 && jobs[0].gpus == 0 && jobs[0].requestedLimit == 3_600_000)
        #expect(jobs[0].owner == "user-7")
    }

    @Test("Invariant: a malformed line is reported with its number and what was expected")
    func malformed() throws {
        let path = try write(
            "timestamp,duration,num_gpus,gpu_time,cluster\n2017-10-09 07:01:55,abc,1,66.0,x\n", "bad.csv")
        #expect(
            throws: TraceError.malformed(
                path: path, line: 2, expected: "timestamp,duration,num_gpus,gpu_time,cluster",
                found: "2017-10-09 07:01:55,abc,1,66.0,x")
        ) {
            try TraceReader.read(path: path, format: .philly)
        }
        #expect(throws: TraceError.self) { try TraceReader.read(path: "/nonexistent.swf", format: .swf) }
    }

    @Test(
        "Invariant: both shared traces read completely",
        arguments: [
            ("philly_pollux_jobs.csv", TraceFormat.philly, 82_247), ("HPC2N-2002-2.2-cln.first57days.swf", .swf, 3_145),
        ])
    func sharedTraces(name: String, format: TraceFormat, jobs: Int) throws {
        let path = Self.traces.appendingPathComponent(name).path
        try #require(
            FileManager.default.fileExists(atPath: path),
            "shared trace missing at \(path): set SLOTD_SHARED_DIR to the shared/ folder")
        #expect(try TraceReader.read(path: path, format: format).count == jobs)
    }
}
