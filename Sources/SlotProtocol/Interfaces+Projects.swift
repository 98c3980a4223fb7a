// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let projects = """
        # Projects: an applicant's award of GPU-hours to use within a window, in some sectors, for its members
        # (Art. 25.1, 25.2, 26.2). A request on a project (Submit's project) ranks under the applicant's category, is
        # refused when the window is not open, the sector was not awarded or the award would be exceeded (running
        # slots counted in full), and never outlives the window. Admins create and change projects, with a reason,
        # audited; the PI and members see their projects; nobody else learns that a project exists (Art. 10).
        interface io.slotd.Projects

        # A project. registration (the applicant's registration identifier) is shown to admins only.
        type Project (
          id: string,
          applicant: string,
          applicantKind: string,
          registration: ?string,
          category: string,
          pi: string,
          members: []string,
          sectors: []string,
          purpose: string,
          awardGPUHours: float,
          opens: int,
          closes: int,
          usedGPUHours: float,
          committedGPUHours: float,
          createdAt: int,
          notice: ?string
        )

        # An application for a project. Its filer and admins see it; nobody else. state: pending, approved,
        # declined, or contested (declined, then contested by the applicant). decidedBy is an admin, or
        # policy:<route> for an automatic approval; decision is the reason given.
        type Application (
          id: int,
          project: string,
          filedBy: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          members: []string,
          sectors: []string,
          purpose: string,
          gpuHours: float,
          opens: int,
          closes: int,
          route: ?string,
          state: string,
          filedAt: int,
          decidedBy: ?string,
          decidedAt: ?int,
          decision: ?string,
          contest: ?string
        )

        # Creates a project (admin; reason required). applicantKind is person or organisation; the window is
        # [opens, closes).
        method Create(
          id: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          pi: string,
          members: []string,
          sectors: []string,
          purpose: string,
          awardGPUHours: float,
          opens: int,
          closes: int,
          reason: string
        ) -> (project: Project)

        # The caller's projects (as PI or member); admins: every project.
        method List() -> (projects: []Project)

        # Extends a project's window (closes), tops up its award (addGPUHours) or adds members (admin; reason
        # required; audited).
        method Change(id: string, closes: ?int, addGPUHours: ?float, addMembers: ?[]string, reason: string) -> (
          project: Project
        )

        # Files an application for a project, the caller to be its principal investigator. opens defaults to now. On
        # a route of the policy's that approves automatically (or, without a route, on the first such route it fits),
        # an application that fits is approved at once and the project created; otherwise it waits for an admin.
        # Anyone may apply; at most 5 applications of one user wait at a time.
        method Apply(
          project: string,
          applicant: string,
          applicantKind: string,
          registration: string,
          category: string,
          members: []string,
          sectors: []string,
          purpose: string,
          gpuHours: float,
          opens: ?int,
          closes: int,
          route: ?string
        ) -> (application: Application)

        # The caller's applications, newest first; admins: everyone's. state filters (pending, approved, declined,
        # contested).
        method Applications(state: ?string) -> (applications: []Application)

        # Approves (possibly with fewer gpuHours or an earlier closes) or declines a pending or contested
        # application (admin; reason required, shown to the applicant; audited). Approval creates the project.
        method Decide(id: int, approve: bool, gpuHours: ?float, closes: ?int, reason: string) -> (
          application: Application
        )

        # The applicant contests a declined application, with a reason; it waits for an admin again (Art. 7, 16).
        method ContestDecision(id: int, reason: string) -> (application: Application)

        # No such project (or not one of the caller's).
        error NotFound (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """
}
