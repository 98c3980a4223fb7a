import Foundation

extension IncomingCall {
    init(header: VarlinkCallHeader, parameters: Result<(any Sendable)?, WireError>) {
        self.header = header
        self.parameters = parameters
    }

    /// Decodes one call frame (terminator excluded).
    ///
    /// A well-formed Submit call is read through yajl: decoding the call was the largest cost left on the daemon's
    /// side of a Submit (BENCHMARKS.md). Anything else takes Foundation's `JSONDecoder`: other methods, and every
    /// Submit the fast path does not accept in full (a wrong type, a missing or repeated field, a number with a
    /// fraction), so the errors stay Foundation's and name the field. `IncomingCallTests` checks that whatever the
    /// fast path accepts, Foundation decodes to the same call.
    public static func decode(_ frame: Data, parameterTypes: ParameterTypes) throws -> IncomingCall {
        // Only a frame that names the method can be a Submit: the others are parsed once, by Foundation.
        if parameterTypes["io.slotd.Requests.Submit"] == SubmitParameters.self, frame.range(of: submitMethod) != nil,
            let call = frame.withUnsafeBytes({ fastSubmit($0) })
        {
            return call
        }
        return try decoder(parameterTypes).decode(IncomingCall.self, from: frame)
    }

    private static let submitMethod = Data("io.slotd.Requests.Submit".utf8)

    /// The Submit call in `text`, or nil for anything the fast path does not read in full.
    static func fastSubmit(_ text: UnsafeRawBufferPointer) -> IncomingCall? {
        do {
            var r = try JSONReader(parsing: text)
            var method: String?, more: Bool?, oneway: Bool?, upgrade: Bool?, parametersAt: Int?
            var seen = Set<String>()
            try r.beginObject()
            while let key = try r.nextKey() {
                guard seen.insert(key).inserted else { return nil }
                switch key {
                case "method": method = try r.string()
                case "more": more = r.readNull() ? nil : try r.bool()
                case "oneway": oneway = r.readNull() ? nil : try r.bool()
                case "upgrade": upgrade = r.readNull() ? nil : try r.bool()
                case "parameters":
                    parametersAt = r.position
                    try r.skipValue()
                default: try r.skipValue()
                }
            }
            try r.finish()
            guard method == "io.slotd.Requests.Submit", let parametersAt else { return nil }
            r.position = parametersAt
            guard let parameters = try SubmitParameters(strictJSON: &r) else { return nil }
            return IncomingCall(
                header: VarlinkCallHeader(
                    method: "io.slotd.Requests.Submit", more: more,
                    oneway: oneway, upgrade: upgrade),
                parameters: .success(parameters))
        } catch {
            return nil
        }
    }
}

extension SubmitParameters {
    /// Reads the parameters, or nil when they are not exactly what the synthesized `Decodable` accepts without
    /// question: every required field present once with its type, optionals of their type or null.
    init?(strictJSON r: inout JSONReader) throws(JSONCodecError) {
        var sector: String?, gpus: Int?, cpus: Int?, memoryMiB: Int?, durationSeconds: Int64?, purpose: String?
        var command: [String]?, workingDirectory: String?, environment: [String: String]?, network: Bool?
        var gpuTypes: [String]?, nodes: Int?, project: String?
        var seen = Set<String>()
        try r.beginObject()
        while let key = try r.nextKey() {
            guard seen.insert(key).inserted else { return nil }
            let null = r.readNull()
            switch key {
            case "sector": sector = null ? nil : try r.string()
            case "gpus": gpus = null ? nil : try r.int()
            case "cpus": cpus = null ? nil : try r.int()
            case "memoryMiB": memoryMiB = null ? nil : try r.int()
            case "durationSeconds": durationSeconds = null ? nil : try r.int64()
            case "purpose": purpose = null ? nil : try r.string()
            case "command": command = null ? nil : try r.strings()
            case "workingDirectory": workingDirectory = null ? nil : try r.string()
            case "environment":
                if !null {
                    // A repeated name: which value Foundation keeps is its business, so leave the call to it.
                    guard let map = try r.uniqueStringMap() else { return nil }
                    environment = map
                }
            case "network": network = null ? nil : try r.bool()
            case "gpuTypes": gpuTypes = null ? nil : try r.strings()
            case "nodes": nodes = null ? nil : try r.int()
            case "project": project = null ? nil : try r.string()
            default: if !null { try r.skipValue() }
            }
        }
        guard let gpus, let purpose, let command, let workingDirectory else { return nil }
        self.init(
            sector: sector, gpus: gpus, cpus: cpus, memoryMiB: memoryMiB, durationSeconds: durationSeconds,
            purpose: purpose, command: command, workingDirectory: workingDirectory, environment: environment,
            network: network, gpuTypes: gpuTypes, nodes: nodes)
        self.project = project
    }
}
