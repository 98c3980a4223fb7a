/// What the daemon needs of an executor: start a granted slot, stop one, and find the slots an earlier daemon
/// left running. Events (started, ended with an outcome) arrive through the callback given at creation.
public protocol SlotExecutor: Sendable {
    func startSlot(_ launch: SlotLaunch) throws(ExecutorError)
    func stop(_ id: UInt64) throws(ExecutorError)
    func adopt() -> [ProcessExecutor.Adoption]
}

extension ProcessExecutor: SlotExecutor {
    public func startSlot(_ launch: SlotLaunch) throws(ExecutorError) { try start(launch) }
}

extension SystemdExecutor: SlotExecutor {
    public func startSlot(_ launch: SlotLaunch) throws(ExecutorError) { try start(launch) }
}
