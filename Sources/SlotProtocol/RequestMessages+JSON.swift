import Foundation

/// Reply parameters that also have a hand-written decoder over ``JSONReader``. The client uses it instead of
/// Foundation's `JSONDecoder` for the replies that carry many rows.
public protocol FastReplyDecodable {
    init(json: inout JSONReader) throws(JSONCodecError)
}

// `List` answers with up to a million requests, in pages of 1,000, and every Submit is answered with its request.
// Foundation's JSON cost 10–22 µs per request on each end: that alone put a 100,000-row listing over its 0.5 s
// target, and it was a fifth of the daemon's CPU per Submit (BENCHMARKS.md). These encode and decode the same
// JSON, keys sorted, through yajl. `JSONCodecTests` holds them to Foundation's bytes and values, and fails when
// `RequestInfo` gains a field these do not write.

extension RequestReply: FastReplyDecodable {
    /// The reply frame, terminator included: the same bytes as `Varlink.frame(VarlinkReply(parameters: self))`.
    public func frame() throws(JSONCodecError) -> Data {
        let w = try JSONWriter()
        w.beginObject()
        w.key("parameters")
        w.beginObject()
        w.key("request")
        request.write(to: w)
        w.endObject()
        w.endObject()
        return try w.frame()
    }

    public init(json r: inout JSONReader) throws(JSONCodecError) {
        var request: RequestInfo?
        try r.beginObject()
        while let key = try r.nextKey() {
            if key == "request" { request = try RequestInfo(json: &r) } else { try r.skipValue() }
        }
        self.init(request: try required(request, "request"))
    }
}

extension ListReply: FastReplyDecodable {
    /// One reply frame, terminator included: the same bytes as
    /// `Varlink.frame(VarlinkReply(parameters: self, continues: continues))`.
    public func frame(continues: Bool? = nil) throws -> Data {
        try Self.frame(continues: continues) { w in
            for request in requests { request.write(to: w) }
        }
    }

    /// A reply frame whose `requests` array `writeRequests` fills, one `RequestInfo`-shaped object each; the
    /// store writes its pages this way, straight from the rows. `continues` nil leaves the key out.
    public static func frame(continues: Bool?, writeRequests: (JSONWriter) throws -> Void) throws -> Data {
        let w = try JSONWriter()
        w.beginObject()
        if let continues {
            w.key("continues")
            w.bool(continues)
        }
        w.key("parameters")
        w.beginObject()
        w.key("requests")
        w.beginArray()
        try writeRequests(w)
        w.endArray()
        w.endObject()
        w.endObject()
        return try w.frame()
    }

    public init(json r: inout JSONReader) throws(JSONCodecError) {
        var requests: [RequestInfo]?
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "requests":
                try r.beginArray()
                var rows: [RequestInfo] = []
                while try r.hasNextElement() { rows.append(try RequestInfo(json: &r)) }
                requests = rows
            default: try r.skipValue()
            }
        }
        self.init(requests: try required(requests, "requests"))
    }
}

extension RequestInfo {
    /// Writes the request as its synthesized `Encodable` does with sorted keys: optionals only when set.
    public func write(to w: JSONWriter) {
        w.beginObject()
        w.key("account"); w.string(account)
        w.key("command"); w.strings(command)
        w.key("cpus"); w.int(cpus)
        w.key("durationSeconds"); w.int(durationSeconds)
        if let endedAt { w.key("endedAt"); w.int(endedAt) }
        if let exitCode { w.key("exitCode"); w.int(exitCode) }
        if let gpuIndices {
            w.key("gpuIndices")
            w.beginArray()
            for index in gpuIndices { w.int(index) }
            w.endArray()
        }
        w.key("gpus"); w.int(gpus)
        w.key("id"); w.int(id)
        if let logFile { w.key("logFile"); w.string(logFile) }
        w.key("memoryMiB"); w.int(memoryMiB)
        if let network { w.key("network"); w.bool(network) }
        if let node { w.key("node"); w.string(node) }
        if let outcome { w.key("outcome"); w.string(outcome) }
        w.key("purpose"); w.string(purpose)
        if let reasons {
            w.key("reasons")
            w.beginArray()
            for reason in reasons { reason.write(to: w) }
            w.endArray()
        }
        w.key("sector"); w.string(sector)
        if let startedAt { w.key("startedAt"); w.int(startedAt) }
        w.key("state"); w.string(state.rawValue)
        w.key("submittedAt"); w.int(submittedAt)
        w.key("uid"); w.int(uid)
        w.key("workingDirectory"); w.string(workingDirectory)
        w.endObject()
    }

    /// Reads a request as its synthesized `Decodable` does: unknown keys skipped, null or absent optionals nil.
    public init(json r: inout JSONReader) throws(JSONCodecError) {
        var id: Int64?, state: RequestState?, account: String?, uid: Int64?, sector: String?
        var gpus: Int?, cpus: Int?, memoryMiB: Int?, durationSeconds: Int64?, purpose: String?
        var command: [String]?, workingDirectory: String?, submittedAt: Int64?
        var startedAt: Int64?, endedAt: Int64?, outcome: String?, exitCode: Int?, reasons: [Reason]?
        var node: String?, gpuIndices: [Int]?, logFile: String?, network: Bool?
        try r.beginObject()
        while let key = try r.nextKey() {
            if r.readNull() { continue }
            switch key {
            case "id": id = try r.int64()
            case "state":
                let name = try r.string()
                guard let value = RequestState(rawValue: name) else { throw .unknownValue(key: key, value: name) }
                state = value
            case "account": account = try r.string()
            case "uid": uid = try r.int64()
            case "sector": sector = try r.string()
            case "gpus": gpus = try r.int()
            case "cpus": cpus = try r.int()
            case "memoryMiB": memoryMiB = try r.int()
            case "durationSeconds": durationSeconds = try r.int64()
            case "purpose": purpose = try r.string()
            case "command": command = try r.strings()
            case "workingDirectory": workingDirectory = try r.string()
            case "submittedAt": submittedAt = try r.int64()
            case "startedAt": startedAt = try r.int64()
            case "endedAt": endedAt = try r.int64()
            case "outcome": outcome = try r.string()
            case "exitCode": exitCode = try r.int()
            case "reasons":
                try r.beginArray()
                var list: [Reason] = []
                while try r.hasNextElement() { list.append(try Reason(json: &r)) }
                reasons = list
            case "node": node = try r.string()
            case "gpuIndices": gpuIndices = try r.ints()
            case "logFile": logFile = try r.string()
            case "network": network = try r.bool()
            default: try r.skipValue()
            }
        }
        self.init(
            id: try required(id, "id"), state: try required(state, "state"),
            account: try required(account, "account"), uid: try required(uid, "uid"),
            sector: try required(sector, "sector"), gpus: try required(gpus, "gpus"),
            cpus: try required(cpus, "cpus"), memoryMiB: try required(memoryMiB, "memoryMiB"),
            durationSeconds: try required(durationSeconds, "durationSeconds"),
            purpose: try required(purpose, "purpose"), command: try required(command, "command"),
            workingDirectory: try required(workingDirectory, "workingDirectory"),
            submittedAt: try required(submittedAt, "submittedAt"))
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.exitCode = exitCode
        self.reasons = reasons
        self.node = node
        self.gpuIndices = gpuIndices
        self.logFile = logFile
        self.network = network
    }
}

extension Reason {
    public func write(to w: JSONWriter) {
        w.beginObject()
        w.key("code"); w.string(code)
        w.key("message"); w.string(message)
        w.endObject()
    }

    public init(json r: inout JSONReader) throws(JSONCodecError) {
        var code: String?, message: String?
        try r.beginObject()
        while let key = try r.nextKey() {
            switch key {
            case "code": code = try r.string()
            case "message": message = try r.string()
            default: try r.skipValue()
            }
        }
        self.init(code: try required(code, "code"), message: try required(message, "message"))
    }
}

private func required<T>(_ value: T?, _ key: String) throws(JSONCodecError) -> T {
    guard let value else { throw .missingKey(key) }
    return value
}
