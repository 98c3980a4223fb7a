import SlotProtocol
import Synchronization

/// A value given once and awaited by anyone, before or after it is given: the answer to a queued Submit
/// (``Acknowledgement``), or the news that a reply was written (`ControlServer`).
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Value, any Error>])
        case done(Result<Value, any Error>)
    }

    private let state = Mutex<State>(.waiting([]))

    /// The value, or the error given instead; waits until one is given.
    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let result: Result<Value, any Error>? = state.withLock { state in
                    switch state {
                    case .waiting(let waiters):
                        state = .waiting(waiters + [continuation])
                        return nil
                    case .done(let result):
                        return result
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }

    func resume(returning value: Value) { finish(.success(value)) }
    func resume(throwing error: any Error) { finish(.failure(error)) }

    /// Gives the answer once; a later one is ignored (the first one stands).
    private func finish(_ result: Result<Value, any Error>) {
        let waiters: [CheckedContinuation<Value, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}

/// The answer to one queued Submit, given after its group commit: the request as stored and scheduled, or the
/// error that refused it. The connection that queued it awaits it later, so it can read its next call meanwhile.
typealias Acknowledgement = OneShot<RequestInfo>
