import SlotCore

extension PolicyLoader {
    /// Checks that need the whole policy. All findings here are warnings: the policy is legal but may not do what the
    /// admin means.
    static func checkSemantics(_ policy: Policy, sink: DiagnosticSink) {
        let model = PriorityModel(policy: policy)
        let risks = model.starvationRisks()
        if let worst = risks.first {
            let listed = risks.prefix(4).map { "\($0.low.category)/\($0.low.sector)" }.joined(separator: ", ")
            let more = risks.count > 4 ? " and \(risks.count - 4) more" : ""
            sink.warning(
                "policy.starvation", at: sink.location(["aging", "cap"]),
                "\(risks.count) class(es) can wait forever behind fresh \(worst.high.category)/\(worst.high.sector) "
                    + "requests: \(listed)\(more); the worst needs \(worst.gap) aging points, the cap gives "
                    + "\(policy.aging.pointsPerHour > 0 ? policy.aging.cap : 0)",
                expected: "aging.cap >= \(model.minimumSafeAgingCap) with points_per_hour > 0 "
                    + "(highest base minus lowest base, including the full fair-share penalty)",
                hint: "raise [aging] cap, or narrow the gap between sector and category weights"
            )
        }
        for category in policy.categories where policy.defaults.duration > category.maxDuration {
            sink.warning(
                "policy.default-duration", at: sink.location(["defaults", "duration"]),
                "defaults.duration \(policy.defaults.duration) exceeds max_duration \(category.maxDuration) of "
                    + "category '\(category.id)'; its requests without a duration get \(category.maxDuration)",
                hint: "lower defaults.duration, or accept the clamp"
            )
        }
        for category in policy.categories where category.maxConcurrentGPUs == 0 || category.gpuHoursPerPeriod == 0 {
            sink.warning(
                "policy.no-gpus", at: category.source,
                "category '\(category.id)' can never hold a GPU (max_concurrent_gpus or gpu_hours_per_period is 0)",
                hint: "intended for CPU-only work? otherwise raise the limits"
            )
        }
        for sector in policy.sectors where !policy.categories.contains(where: { $0.allows(sector: sector.id) }) {
            sink.warning(
                "policy.unused-sector", at: sector.source,
                "no category may use sector '\(sector.id)'", hint: "add it to some category's sectors list"
            )
        }
    }
}
