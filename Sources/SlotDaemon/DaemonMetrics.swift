import CoreMetrics
import Foundation
import Prometheus
import SlotProtocol
import SlotStore
import Synchronization

/// slotd's metrics in Prometheus text format (swift-metrics handles, a swift-prometheus registry):
/// - `slotd_submits_total`: accepted submits (its rate is the submit rate);
/// - `slotd_requests_ended_total{state}`: requests that reached a final state (rejected, completed, expired...);
/// - `slotd_wait_seconds`: histogram of submit-to-start waits;
/// - `slotd_requests{state}`: pending and running requests now;
/// - `slotd_queue_depth{class}`: pending requests per queue class (`category/sector/band`);
/// - `slotd_gpus{state}`: GPUs in the inventory (`total`) and held by running slots (`used`).
/// Counters and the histogram are updated as things happen; the gauges when the metrics are exported.
final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let submits: CoreMetrics.Counter
    let waits: CoreMetrics.Timer
    let ended: [RequestState: CoreMetrics.Counter]
    /// Every queue class a depth was ever exported for, so a class that empties (or leaves the policy) reads 0.
    let classesSeen = Mutex<Set<String>>([])

    /// Wait buckets, seconds: from a second to a week.
    static let waitBuckets: [Duration] = [
        1, 10, 60, 300, 900, 3_600, 4 * 3_600, 12 * 3_600, 86_400, 3 * 86_400,
        7 * 86_400,
    ].map { .seconds($0) }

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.waitBuckets
        let handlers = factory
        submits = CoreMetrics.Counter(label: "slotd_submits_total", dimensions: [], factory: handlers)
        waits = CoreMetrics.Timer(
            label: "slotd_wait_seconds", dimensions: [], preferredDisplayUnit: .seconds,
            factory: handlers)
        var ended: [RequestState: CoreMetrics.Counter] = [:]
        for state in RequestState.allCases where state.isFinal {
            ended[state] = CoreMetrics.Counter(
                label: "slotd_requests_ended_total",
                dimensions: [("state", state.rawValue)], factory: handlers)
        }
        self.ended = ended
    }

    /// Records the state changes of one commit.
    func record(_ changes: [(request: StoredRequest, detail: String, at: Int64)]) {
        for change in changes {
            let request = change.request
            if request.state == .running, let started = request.startedAt {
                waits.recordNanoseconds(max(0, started - request.submittedAt) * 1_000_000)
            } else if request.state.isFinal {
                ended[request.state]?.increment()
            }
        }
    }

    /// What the gauges show, taken from the engine when the metrics are exported.
    struct Snapshot: Sendable {
        var pending: Int
        var running: Int
        var pendingByClass: [String: Int]
        var gpus: Int
        var usedGPUs: Int
    }

    /// The Prometheus text exposition of every metric, with the gauges set from `snapshot`.
    func exposition(_ snapshot: Snapshot) -> String {
        registry.makeGauge(name: "slotd_requests", labels: [("state", "pending")]).set(Double(snapshot.pending))
        registry.makeGauge(name: "slotd_requests", labels: [("state", "running")]).set(Double(snapshot.running))
        registry.makeGauge(name: "slotd_gpus", labels: [("state", "total")]).set(Double(snapshot.gpus))
        registry.makeGauge(name: "slotd_gpus", labels: [("state", "used")]).set(Double(snapshot.usedGPUs))
        let classes = classesSeen.withLock { seen in
            seen.formUnion(snapshot.pendingByClass.keys)
            return seen
        }
        for queueClass in classes.sorted() {
            registry.makeGauge(name: "slotd_queue_depth", labels: [("class", queueClass)])
                .set(Double(snapshot.pendingByClass[queueClass] ?? 0))
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1_024)
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
