import CSystemd
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The few systemd Manager calls the systemd executor makes, over one sd-bus connection.
///
/// sd-bus objects are not thread-safe, so every use of the connection holds `lock`. Only the non-variadic C API
/// is used (`append_basic`, `open_container`/`close_container`): variadic C functions do not import into Swift.
final class SystemdBus: @unchecked Sendable {
    // @unchecked Sendable is sound: `bus` is written once in init and used only while holding `lock`; sd-bus is
    // then used by one thread at a time, which is what it requires.
    private let lock = NSLock()
    private let bus: OpaquePointer

    static let destination = "org.freedesktop.systemd1"
    static let managerPath = "/org/freedesktop/systemd1"
    static let manager = "org.freedesktop.systemd1.Manager"

    /// Connects to the system bus, or to `address` (a private bus, e.g. a test's dbus-daemon).
    init(address: String?) throws(ExecutorError) {
        var bus: OpaquePointer?
        var r: Int32
        if let address {
            r = sd_bus_new(&bus)
            if r >= 0, let bus {
                r = address.withCString { sd_bus_set_address(bus, $0) }
                if r >= 0 { r = sd_bus_set_bus_client(bus, 1) }
                if r >= 0 { r = sd_bus_start(bus) }
            }
        } else {
            r = sd_bus_open_system(&bus)
        }
        guard r >= 0, let bus else {
            if let bus { sd_bus_unref(bus) }
            throw .busUnavailable(reason: String(cString: strerror(-r)))
        }
        self.bus = bus
    }

    deinit { sd_bus_flush_close_unref(bus) }

    // MARK: Signals

    /// Counts the signals systemd sent about jobs and units; read by ``waitForChange(upTo:)``. The match callbacks
    /// get it unretained: they run only inside `sd_bus_process`, called by this object while it is alive, and the
    /// bus is closed in deinit before this property is released.
    final class SignalCount: Sendable {
        let value = Atomic<Int>(0)
    }
    private let signalCount = SignalCount()

    /// Subscribes to systemd's signals about jobs (`JobRemoved`: a start or stop job finished) and units
    /// (`PropertiesChanged` under `/org/freedesktop/systemd1/unit`: a unit became active, exited, failed), so the
    /// executor wakes as soon as one of its units changes instead of at its next poll.
    ///
    /// `Subscribe` asks systemd to send unit signals at all; a bus that does not know it (a test's mock) still
    /// sends what it sends. Returns false when no match could be added: then only polling follows the units.
    @discardableResult
    func subscribe() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let counter: sd_bus_message_handler_t = { message, userdata, _ in
            if let message, let userdata, SystemdBus.concernsSlot(message) {
                Unmanaged<SignalCount>.fromOpaque(userdata).takeUnretainedValue().value.add(1, ordering: .relaxed)
            }
            return 0
        }
        let matches = [
            "type='signal',sender='\(Self.destination)',path='\(Self.managerPath)',interface='\(Self.manager)',"
                + "member='JobRemoved'",
            "type='signal',sender='\(Self.destination)',interface='org.freedesktop.DBus.Properties',"
                + "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'",
        ]
        var added = 0
        for match in matches {
            let userdata = Unmanaged.passUnretained(signalCount).toOpaque()
            if match.withCString({ sd_bus_add_match(bus, nil, $0, counter, userdata) }) >= 0 { added += 1 }
        }
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var message: OpaquePointer?
        if sd_bus_message_new_method_call(
            bus, &message, Self.destination, Self.managerPath, Self.manager,
            "Subscribe") >= 0, let message
        {
            var reply: OpaquePointer?
            _ = sd_bus_call(bus, message, 0, &error, &reply)
            if let reply { sd_bus_message_unref(reply) }
            sd_bus_message_unref(message)
        }
        return added == matches.count
    }

    /// Whether a signal is about a slot's unit, so that other units' changes (on a busy host, many) do not wake
    /// the executor: a `PropertiesChanged` of an object under `…/unit/slotd_` (systemd writes `slotd-1.service`
    /// as `slotd_2d1_2eservice`), or a `JobRemoved` (id, job, unit, result) whose unit starts with `slotd-`.
    static func concernsSlot(_ message: OpaquePointer) -> Bool {
        if let path = sd_bus_message_get_path(message),
            String(cString: path).hasPrefix("/org/freedesktop/systemd1/unit/slotd_")
        {
            return true
        }
        guard let member = sd_bus_message_get_member(message), String(cString: member) == "JobRemoved" else {
            return false
        }
        var job: UInt32 = 0
        var jobPath: UnsafePointer<CChar>?
        var unit: UnsafePointer<CChar>?
        guard sd_bus_message_read_basic(message, type("u"), &job) > 0,
            sd_bus_message_read_basic(message, type("o"), &jobPath) > 0,
            sd_bus_message_read_basic(message, type("s"), &unit) > 0, let unit
        else { return false }
        return String(cString: unit).hasPrefix("slotd-")
    }

    /// Returns when systemd signalled a change of a slot's job or unit, or after `timeout`, whichever is first; true
    /// when such a signal came.
    ///
    /// The wait itself (`poll` on the bus's socket) holds no lock, so starts and stops go on meanwhile. A signal
    /// that one of their calls reads off the socket first is queued inside sd-bus and counted at the next wake,
    /// at the latest after `timeout`: polling remains the fallback. Other traffic wakes the wait but does not end
    /// it. A broken connection (hang-up, or an error from sd-bus) waits out the timeout instead of spinning.
    func waitForChange(upTo timeout: Duration) -> Bool {
        let before = signalCount.value.load(ordering: .relaxed)
        let deadline = ContinuousClock.now + timeout
        func signalled() -> Bool { signalCount.value.load(ordering: .relaxed) != before }
        /// Dispatches what sd-bus has read; the socket, or nil when the connection is unusable.
        func drain() -> Int32? {
            lock.lock()
            defer { lock.unlock() }
            var r: Int32
            repeat { r = sd_bus_process(bus, nil) } while r > 0
            let fd = sd_bus_get_fd(bus)
            return r < 0 || fd < 0 ? nil : fd
        }
        while true {
            let fd = drain()
            if signalled() { return true }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            guard let fd else {
                Thread.sleep(forTimeInterval: Self.seconds(remaining))
                return signalled()
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(clamping: Int64(Self.seconds(remaining) * 1_000) + 1))
            if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                _ = drain()
                let left = deadline - ContinuousClock.now
                if left > .zero { Thread.sleep(forTimeInterval: Self.seconds(left)) }
                return signalled()
            }
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A unit's state as the executor needs it.
    struct UnitState: Sendable, Hashable {
        var activeState: String
        var subState: String
        var result: String
        /// `CLD_EXITED` (1), `CLD_KILLED` (2), `CLD_DUMPED` (3), or 0 when the main process has not ended.
        var execMainCode: Int32
        var execMainStatus: Int32
        var mainPID: UInt32
    }

    /// `StartTransientUnit(name, "fail", properties, [])`; returns the job's object path.
    func startTransientUnit(_ name: String, _ properties: [(name: String, value: BusValue)]) throws(ExecutorError)
        -> String
    {
        try call("StartTransientUnit", unit: name) { (m: OpaquePointer) throws(ExecutorError) in
            try Self.check(name.withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
            try Self.check("fail".withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
            try Self.check(sd_bus_message_open_container(m, Self.type("a"), "(sv)"))
            for property in properties { try Self.append(property.name, property.value, to: m) }
            try Self.check(sd_bus_message_close_container(m))
            try Self.check(sd_bus_message_open_container(m, Self.type("a"), "(sa(sv))"))
            try Self.check(sd_bus_message_close_container(m))
        }
    }

    /// `StopUnit(name, "replace")`.
    func stopUnit(_ name: String) throws(ExecutorError) {
        _ = try call("StopUnit", unit: name) { (m: OpaquePointer) throws(ExecutorError) in
            try Self.check(name.withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
            try Self.check("replace".withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
        }
    }

    /// `ResetFailedUnit(name)`, ignoring errors (the unit may already be gone).
    func resetFailed(_ name: String) {
        _ = try? call("ResetFailedUnit", unit: name, readsPath: false) { (m: OpaquePointer) throws(ExecutorError) in
            try Self.check(name.withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
        }
    }

    /// The unit's state, or nil when systemd has no such unit (never started, or already collected).
    func unitState(_ name: String) -> UnitState? {
        guard
            let path = try? call(
                "GetUnit", unit: name,
                body: { (m: OpaquePointer) throws(ExecutorError) in
                    try Self.check(name.withCString { sd_bus_message_append_basic(m, Self.type("s"), $0) })
                })
        else { return nil }
        lock.lock()
        defer { lock.unlock() }
        let unit = "org.freedesktop.systemd1.Unit", service = "org.freedesktop.systemd1.Service"
        guard let active = string(path, unit, "ActiveState") else { return nil }
        return UnitState(
            activeState: active, subState: string(path, unit, "SubState") ?? "",
            result: string(path, service, "Result") ?? "", execMainCode: int32(path, service, "ExecMainCode"),
            execMainStatus: int32(path, service, "ExecMainStatus"),
            mainPID: UInt32(
                bitPattern: int32(
                    path, service, "MainPID", type: "u")))
    }

    // MARK: Plumbing

    private func call(
        _ method: String, unit: String, readsPath: Bool = true,
        body: (OpaquePointer) throws(ExecutorError) -> Void
    ) throws(ExecutorError) -> String {
        lock.lock()
        defer { lock.unlock() }
        var message: OpaquePointer?
        var r = sd_bus_message_new_method_call(bus, &message, Self.destination, Self.managerPath, Self.manager, method)
        guard r >= 0, let message else { throw .bus(method: method, unit: unit, reason: String(cString: strerror(-r))) }
        defer { sd_bus_message_unref(message) }
        do { try body(message) } catch { throw .bus(method: method, unit: unit, reason: "cannot build the call") }
        var error = sd_bus_error()
        var reply: OpaquePointer?
        r = sd_bus_call(bus, message, 0, &error, &reply)
        defer {
            sd_bus_error_free(&error)
            if let reply { sd_bus_message_unref(reply) }
        }
        guard r >= 0, let reply else {
            let name = error.name.map { String(cString: $0) } ?? "errno \(-r)"
            let text = error.message.map { String(cString: $0) } ?? String(cString: strerror(-r))
            throw .bus(method: method, unit: unit, reason: "\(name): \(text)")
        }
        guard readsPath else { return "" }
        var path: UnsafePointer<CChar>?
        guard sd_bus_message_read_basic(reply, Self.type("o"), &path) > 0, let path else { return "" }
        return String(cString: path)
    }

    private func string(_ path: String, _ interface: String, _ member: String) -> String? {
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var value: UnsafeMutablePointer<CChar>?
        guard sd_bus_get_property_string(bus, Self.destination, path, interface, member, &error, &value) >= 0,
            let value
        else { return nil }
        defer { free(value) }
        return String(cString: value)
    }

    private func int32(_ path: String, _ interface: String, _ member: String, type: Character = "i") -> Int32 {
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var value: Int32 = 0
        let r = sd_bus_get_property_trivial(
            bus, Self.destination, path, interface, member, &error,
            Self.type(type), &value)
        return r >= 0 ? value : 0
    }

    static func type(_ character: Character) -> CChar { CChar(bitPattern: character.asciiValue ?? 0) }

    static func check(_ r: Int32) throws(ExecutorError) {
        guard r >= 0 else { throw .bus(method: "append", unit: "", reason: String(cString: strerror(-r))) }
    }

    /// Appends one `(sv)` property.
    static func append(_ name: String, _ value: BusValue, to m: OpaquePointer) throws(ExecutorError) {
        try check(sd_bus_message_open_container(m, type("r"), "sv"))
        try check(name.withCString { sd_bus_message_append_basic(m, type("s"), $0) })
        try check(sd_bus_message_open_container(m, type("v"), value.signature))
        switch value {
        case .string(let text):
            try check(text.withCString { sd_bus_message_append_basic(m, type("s"), $0) })
        case .bool(let flag):
            var v: Int32 = flag ? 1 : 0
            try check(sd_bus_message_append_basic(m, type("b"), &v))
        case .uint64(let number):
            var v = number
            try check(sd_bus_message_append_basic(m, type("t"), &v))
        case .strings(let texts):
            try appendStrings(texts, to: m)
        case .exec(let path, let argv):
            try check(sd_bus_message_open_container(m, type("a"), "(sasb)"))
            try check(sd_bus_message_open_container(m, type("r"), "sasb"))
            try check(path.withCString { sd_bus_message_append_basic(m, type("s"), $0) })
            try appendStrings(argv, to: m)
            var ignoreFailure: Int32 = 0
            try check(sd_bus_message_append_basic(m, type("b"), &ignoreFailure))
            try check(sd_bus_message_close_container(m))
            try check(sd_bus_message_close_container(m))
        case .devices(let devices):
            try check(sd_bus_message_open_container(m, type("a"), "(ss)"))
            for device in devices {
                try check(sd_bus_message_open_container(m, type("r"), "ss"))
                try check(device.path.withCString { sd_bus_message_append_basic(m, type("s"), $0) })
                try check(device.access.withCString { sd_bus_message_append_basic(m, type("s"), $0) })
                try check(sd_bus_message_close_container(m))
            }
            try check(sd_bus_message_close_container(m))
        }
        try check(sd_bus_message_close_container(m))
        try check(sd_bus_message_close_container(m))
    }

    static func appendStrings(_ texts: [String], to m: OpaquePointer) throws(ExecutorError) {
        try check(sd_bus_message_open_container(m, type("a"), "s"))
        for text in texts { try check(text.withCString { sd_bus_message_append_basic(m, type("s"), $0) }) }
        try check(sd_bus_message_close_container(m))
    }
}
