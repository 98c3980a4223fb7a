/// A D-Bus value for one transient-unit property, with its exact D-Bus type.
public enum BusValue: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case uint64(UInt64)
    case strings([String])
    /// `ExecStart`: `a(sasb)`, one command (path, argv, ignore-failure).
    case exec(path: String, argv: [String])
    /// `DeviceAllow`: `a(ss)`, device path and access (`rw`).
    case devices([DeviceAccess])

    public struct DeviceAccess: Sendable, Hashable {
        public var path: String
        public var access: String
    }

    /// The D-Bus signature of the value.
    public var signature: String {
        switch self {
        case .string: "s"
        case .bool: "b"
        case .uint64: "t"
        case .strings: "as"
        case .exec: "a(sasb)"
        case .devices: "a(ss)"
        }
    }
}

/// What the systemd executor asks of systemd for one slot: the transient unit `slotd-<id>.service` in
/// `slotd.slice`, confined to exactly the slot's resources and stopped by systemd itself at its time limit.
///
/// Pure, so the exact property names and D-Bus types are tested without a bus.
public enum UnitProperties {
    public static func unitName(_ id: UInt64) -> String { "slotd-\(id).service" }

    /// The properties for `StartTransientUnit` (signature `ssa(sv)a(sa(sv))`). `program` is the absolute path of
    /// the command's program (systemd does not search PATH for D-Bus `ExecStart`).
    public static func properties(for launch: SlotLaunch, program: String, grace: Duration)
        -> [(name: String, value: BusValue)]
    {
        let execution = launch.execution(program: program)
        let environment = execution.environment
        var properties: [(String, BusValue)] = [
            ("Description", .string("slotd slot \(launch.id)")),
            ("Slice", .string("slotd.slice")),
            ("ExecStart", .exec(path: execution.program, argv: execution.arguments)),
            ("WorkingDirectory", .string(launch.workingDirectory)),
            ("Environment", .strings(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })),
            // Art. 25: systemd stops the slot at its limit even if slotd is gone.
            ("RuntimeMaxUSec", .uint64(UInt64(max(1, launch.timeLimit)) * 1_000)),
            ("TimeoutStopUSec", .uint64(UInt64(max(0, grace.components.seconds)) * 1_000_000)),
            ("StandardOutputFileToAppend", .string(launch.logFile)),
            ("StandardErrorFileToAppend", .string(launch.logFile)),
            ("TasksMax", .uint64(launch.tasksMax)),
            ("DevicePolicy", .string("closed")),
            ("NoNewPrivileges", .bool(true)),
            ("PrivateTmp", .bool(true)),
            ("ProtectSystem", .string("strict")),
            ("ProtectHome", .string("read-only")),
            ("ReadWritePaths", .strings([launch.workingDirectory])),
            ("ProtectKernelTunables", .bool(true)),
            ("ProtectKernelModules", .bool(true)),
            ("ProtectControlGroups", .bool(true)),
            ("RestrictSUIDSGID", .bool(true)),
            ("LockPersonality", .bool(true)),
        ]
        if let user = launch.user {
            properties.append(("User", .string(String(user.uid))))
            properties.append(("Group", .string(String(user.gid))))
        }
        if let memory = launch.memoryMiB {
            properties.append(("MemoryMax", .uint64(UInt64(memory) * 1_048_576)))
        }
        if let cpus = launch.cpus {
            properties.append(("CPUQuotaPerSecUSec", .uint64(UInt64(cpus) * 1_000_000)))
        }
        if !launch.gpuDevices.isEmpty {
            properties.append(("DeviceAllow", .devices(launch.gpuDevices.map { .init(path: $0, access: "rw") })))
        }
        if !launch.network {
            // Art. 17.4: local systems handling restricted data run with no network at all.
            properties.append(("PrivateNetwork", .bool(true)))
        }
        return properties
    }
}
