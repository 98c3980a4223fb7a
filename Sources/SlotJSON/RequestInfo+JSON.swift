import SlotDomain

// A request's JSON, keys sorted as Foundation's encoder writes them with `.sortedKeys`: the List pages, the Submit,
// Get and Cancel replies, and the store's pages all write requests through these (`JSONCodecTests`).

extension RequestInfo {
    /// Writes the request as its synthesized `Encodable` does with sorted keys: optionals only when set.
    public func write(to w: JSONWriter) {
        w.beginObject()
        w.key("account"); w.string(account)
        if let clusterJob { w.key("clusterJob"); w.int(clusterJob) }
        if let clusterState { w.key("clusterState"); w.string(clusterState) }
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
        if let gpuTypes { w.key("gpuTypes"); w.strings(gpuTypes) }
        w.key("gpus"); w.int(gpus)
        w.key("id"); w.int(id)
        if let logFile { w.key("logFile"); w.string(logFile) }
        w.key("memoryMiB"); w.int(memoryMiB)
        if let network { w.key("network"); w.bool(network) }
        if let node { w.key("node"); w.string(node) }
        if let nodeList { w.key("nodeList"); w.strings(nodeList) }
        if let nodes { w.key("nodes"); w.int(nodes) }
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
        var node: String?, gpuIndices: [Int]?, logFile: String?, network: Bool?, gpuTypes: [String]?
        var nodes: Int?, nodeList: [String]?, clusterJob: Int64?, clusterState: String?
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
            case "gpuTypes": gpuTypes = try r.strings()
            case "nodes": nodes = try r.int()
            case "nodeList": nodeList = try r.strings()
            case "clusterJob": clusterJob = try r.int64()
            case "clusterState": clusterState = try r.string()
            default: try r.skipValue()
            }
        }
        self.init(
            id: try JSONReader.required(id, "id"), state: try JSONReader.required(state, "state"),
            account: try JSONReader.required(account, "account"), uid: try JSONReader.required(uid, "uid"),
            sector: try JSONReader.required(sector, "sector"), gpus: try JSONReader.required(gpus, "gpus"),
            cpus: try JSONReader.required(cpus, "cpus"), memoryMiB: try JSONReader.required(memoryMiB, "memoryMiB"),
            durationSeconds: try JSONReader.required(durationSeconds, "durationSeconds"),
            purpose: try JSONReader.required(purpose, "purpose"), command: try JSONReader.required(command, "command"),
            workingDirectory: try JSONReader.required(workingDirectory, "workingDirectory"),
            submittedAt: try JSONReader.required(submittedAt, "submittedAt"))
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.exitCode = exitCode
        self.reasons = reasons
        self.node = node
        self.gpuIndices = gpuIndices
        self.logFile = logFile
        self.network = network
        self.gpuTypes = gpuTypes
        self.nodes = nodes
        self.nodeList = nodeList
        self.clusterJob = clusterJob
        self.clusterState = clusterState
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
        self.init(code: try JSONReader.required(code, "code"), message: try JSONReader.required(message, "message"))
    }
}
