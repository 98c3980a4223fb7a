import CYAJL

/// Runs yajl's parser over one whole text, calling `callbacks` with `context`: nil when the text is one complete
/// JSON value, else yajl's message. The one place `JSONReader` (tokens) and `JSONWriter.json(_:)` (copying a
/// value into a generator) drive the parser.
func yajlParse(_ text: UnsafeRawBufferPointer, _ callbacks: yajl_callbacks, context: UnsafeMutableRawPointer?)
    -> String?
{
    // yajl keeps a pointer to the callbacks, so they live in this frame for the parser's whole life.
    var callbacks = callbacks
    return withUnsafeMutablePointer(to: &callbacks) { callbacks in
        guard let handle = yajl_alloc(callbacks, nil, context) else { return "cannot allocate a parser" }
        defer { yajl_free(handle) }
        let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var status = yajl_parse(handle, base, text.count)
        if status == yajl_status_ok { status = yajl_complete_parse(handle) }
        guard status != yajl_status_ok else { return nil }
        guard let message = yajl_get_error(handle, 0, base, text.count) else { return "parse error" }
        defer { yajl_free_error(handle, message) }
        var text = String(cString: message)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
