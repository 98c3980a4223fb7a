import Foundation
import SlotProtocol

/// What Foundation's JSON costs per request on the wire, for one `List` page of 1,000 typical rows: the encode
/// (daemon), the full decode (slotctl), and, as the floor any Foundation decode pays, a decode that keeps only
/// `id` (the scan of every byte is most of it). Best of `repetitions` runs, per row.
enum WireCodecBenchmark {
    struct Figures {
        var bytesPerRow: Int
        var encode: Double, encodeUnsorted: Double, decode: Double, decodeIDOnly: Double, parse: Double
        /// The yajl codec slotd and slotctl use for List pages.
        var encodeYAJL: Double, decodeYAJL: Double
    }

    struct IDOnly: Codable { var id: Int64 }

    static func measure(repetitions: Int) throws -> Figures {
        let rows = (0..<1_000).map { i in
            var info = RequestInfo(
                id: Int64(i), state: .pending, account: "user\(i % 70)", uid: 1_000 + Int64(i % 70),
                sector: "healthcare", gpus: 1, cpus: 4, memoryMiB: 16_384, durationSeconds: 3_600,
                purpose: "fine-tune a model on clinical notes, run \(i)",
                command: ["python3", "train.py", "--epochs", "3"],
                workingDirectory: "/home/user\(i % 70)/project", submittedAt: 1_790_000_000_000 + Int64(i))
            info.logFile = "/var/lib/slotd/logs/\(i).log"
            return info
        }
        let reply = VarlinkReply(parameters: ListReply(requests: rows), continues: true)
        let frame = try Varlink.encoder().encode(reply)
        let clock = ContinuousClock()
        func best(_ body: () throws -> Void) rethrows -> Double {
            var fastest = Double.infinity
            for _ in 0..<repetitions {
                let elapsed = try clock.measure(body)
                fastest = min(
                    fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            return fastest / Double(rows.count)
        }
        return Figures(
            bytesPerRow: frame.count / rows.count,
            encode: try best { _ = try Varlink.encoder().encode(reply) },
            encodeUnsorted: try best {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.withoutEscapingSlashes]
                _ = try encoder.encode(reply)
            },
            decode: try best { _ = try JSONDecoder().decode(VarlinkReply<ListReply>.self, from: frame) },
            decodeIDOnly: try best {
                _ = try JSONDecoder().decode(VarlinkReply<[String: [IDOnly]]>.self, from: frame)
            },
            parse: try best { _ = try JSONSerialization.jsonObject(with: frame) },
            encodeYAJL: try best { _ = try reply.parameters?.frame(continues: true) },
            decodeYAJL: try best {
                var reader = try frame.withUnsafeBytes { try JSONReader(parsing: $0) }
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    if key == "parameters" { _ = try ListReply(json: &reader) } else { try reader.skipValue() }
                }
            })
    }
}

extension SlotBench {
    func runCodecSuite() throws {
        let f = try WireCodecBenchmark.measure(repetitions: repetitions * 4)
        if json {
            print(
                "{\"suite\":\"codec\",\"bytes_per_row\":\(f.bytesPerRow),\"encode_s\":\(f.encode),\"encode_unsorted_s\":\(f.encodeUnsorted),\"decode_s\":\(f.decode),"
                    + "\"decode_id_only_s\":\(f.decodeIDOnly),\"jsonserialization_s\":\(f.parse),"
                    + "\"encode_yajl_s\":\(f.encodeYAJL),\"decode_yajl_s\":\(f.decodeYAJL)}")
            return
        }
        let us = { (seconds: Double) in fixed(seconds * 1e6, 2) + " µs" }
        print("Foundation JSON per List row (\(f.bytesPerRow) bytes), best of \(repetitions * 4) pages of 1,000:")
        print("  encode (JSONEncoder, sorted keys)          \(us(f.encode))")
        print("  encode (JSONEncoder, keys unsorted)        \(us(f.encodeUnsorted))")
        print("  decode (JSONDecoder, RequestInfo)          \(us(f.decode))")
        print("  decode keeping only id (the scan's floor)  \(us(f.decodeIDOnly))")
        print("  JSONSerialization.jsonObject               \(us(f.parse))")
        print(
            "  encode (yajl, what slotd uses)             \(us(f.encodeYAJL))  \(fixed(f.encode / f.encodeYAJL, 1))x faster than sorted JSONEncoder"
        )
        print(
            "  decode (yajl, what slotctl uses)           \(us(f.decodeYAJL))  \(fixed(f.decode / f.decodeYAJL, 1))x faster than JSONDecoder"
        )
        print(
            "100,000 rows: encode \(fixed(f.encode * 1e5, 2)) s, decode \(fixed(f.decode * 1e5, 2)) s, "
                + "floor \(fixed(f.decodeIDOnly * 1e5, 2)) s (target for the whole listing: 0.5 s)")
    }
}
