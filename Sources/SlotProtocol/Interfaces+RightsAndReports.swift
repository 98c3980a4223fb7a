// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let contests = """
        # Contesting a decision (Art. 7.2, 16): the owner of a request contests its rejection or its position, an
        # admin upholds or grants it with a reason, and the owner sees the outcome. Everything is audited (Art. 8).
        interface io.slotd.Contests

        # Open, or decided: upheld (the decision stands) or granted.
        type State (open, upheld, granted)

        # A contest and its decision; seen only by the request's owner and admins.
        type Contest (
          id: int,
          requestID: int,
          account: string,
          kind: string,
          reason: string,
          openedAt: int,
          state: State,
          decidedAt: ?int,
          decidedBy: ?string,
          decision: ?string,
          boost: ?int,
          boostUntil: ?int,
          effect: ?string
        )

        # Contests a pending request's position or a rejected request's rejection (the caller's own request).
        method Open(id: int, reason: string) -> (contest: Contest)

        # The caller's contests (admins with allUsers: everyone's), newest first. Default: every state.
        method List(allUsers: ?bool, states: ?[]State, limit: ?int) -> (contests: []Contest)

        # Decides an open contest (admin; reason required). A grant raises a pending request's priority by boost
        # points until until (each bounded by the policy's [contests] table), or re-queues a rejected request.
        method Resolve(id: int, grant: bool, boost: ?int, until: ?int, reason: string) -> (contest: Contest)

        # No such contest, or no request with this id that the caller may see.
        error NotFound (id: int, reason: string)

        # The caller may not do this (another user's request, or deciding without being an admin).
        error PermissionDenied (reason: string)

        # The request (id) cannot be contested now (a contest on it is open, or it is neither pending nor rejected),
        # or its contest is already decided, or a grant cannot re-queue it (reasons: every rule it still breaks).
        error NotContestable (id: int, reason: string, reasons: ?[]Reason)

        # One reason with a stable code and a human message.
        type Reason (code: string, message: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """

    public static let reports = """
        # Allocation reports (Art. 8, 26.3), rebuilt from the stored history: GPU-hours, waits, rejections, contests
        # and energy over a period, per sector, category, account, project or applicant. Users get their own figures only; groups with
        # fewer accounts than the configured minimum are suppressed in reports over everyone (Art. 10).
        interface io.slotd.Reports

        # One group's figures; every figure is null when the group is suppressed.
        type Group (
          key: string,
          accounts: ?int,
          suppressed: bool,
          requests: ?int,
          gpuHoursGranted: ?float,
          gpuHoursUsed: ?float,
          share: ?float,
          weightShare: ?float,
          started: ?int,
          waitMeanSeconds: ?float,
          waitP95Seconds: ?float,
          rejections: ?[string]int,
          contests: ?[string]int,
          energyKWh: ?float,
          awardGPUHours: ?float,
          awardUsedGPUHours: ?float,
          awardLeftGPUHours: ?float
        )

        # Grouping. project and applicant: requests on no project fall under "(no project)" by project and under
        # their account (a personal applicant) by applicant; award figures cover each project's whole window.
        type By (sector, category, account, project, applicant)

        # One project's award for the public record: no applicant, no person, no project id (Art. 8, 10).
        type AwardRecord (
          category: string,
          sectors: []string,
          awardGPUHours: float,
          usedGPUHours: float,
          opens: int,
          closes: int,
          route: ?string
        )

        # The report over [from, to) (ms since the epoch), grouped by sector (default), category, account, project
        # or applicant. Users get their own requests and those of projects they lead (as PI).
        method Allocation(from: int, to: int, by: ?By) -> (report: (
          from: int,
          to: int,
          by: By,
          scope: string,
          account: ?string,
          minGroupAccounts: int,
          policyVersion: string,
          groups: []Group,
          total: Group
        ))

        # The awards whose window overlaps the calendar year (UTC) and what was used of them, for the operator's
        # public accountability (admin).
        method Awards(year: int) -> (awards: []AwardRecord)

        # The caller may not do this (no account, or a report by account over everyone without being an admin).
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """
}
