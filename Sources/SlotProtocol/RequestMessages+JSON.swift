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
        self.init(request: try JSONReader.required(request, "request"))
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
        self.init(requests: try JSONReader.required(requests, "requests"))
    }
}

extension JSONWriter {
    /// The JSON written so far as one Varlink message, terminator included.
    public func frame() throws(JSONCodecError) -> Data { try data(appending: Varlink.terminator) }
}
