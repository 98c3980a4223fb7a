/// The Varlink interface definitions slotd serves through `org.varlink.service.GetInterfaceDescription`.
///
/// They are the public contract: field and error names here are what scripts and the Python `varlink` client see.
/// Every member carries a `#` doc comment (a test checks). Times are milliseconds since the Unix epoch. Each
/// interface's text is in `Interfaces+<Name>.swift`; a new interface also needs its entry in `all` and `names`.
public enum Interfaces {
    public static let all: [String: String] = [
        "io.slotd.Requests": requests,
        "io.slotd.Accounts": accounts,
        "io.slotd.Policy": policy,
        "io.slotd.System": system,
        "io.slotd.Contests": contests,
        "io.slotd.Reports": reports,
        "io.slotd.Projects": projects,
    ]

    /// Interface names in the order GetInfo lists them.
    public static let names = [
        "org.varlink.service", "io.slotd.Requests", "io.slotd.Accounts", "io.slotd.Policy",
        "io.slotd.System", "io.slotd.Contests", "io.slotd.Reports", "io.slotd.Projects",
    ]
}
