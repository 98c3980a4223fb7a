// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let accounts = """
        # Accounts map a Unix user to an applicant category (Art. 26.2). Admins manage them; every change is audited.
        interface io.slotd.Accounts

        # An account.
        type Account (name: string, category: string, createdAt: int)

        # Who the kernel says the caller is, whether they are an admin, and their account.
        method Whoami() -> (user: string, uid: int, gid: int, admin: bool, account: ?Account)

        # Creates an account (admin; reason required).
        method Add(name: string, category: ?string, reason: string) -> (account: Account)

        # Every account (admin).
        method List() -> (accounts: []Account)

        # The user agreement in force (Art. 15.2.5), the notice on automated allocation and how to object
        # (Art. 7.2), and whether the caller has accepted this version. required is false when the policy names none.
        method Agreement() -> (
          required: bool,
          version: ?string,
          hash: ?string,
          text: ?string,
          notice: string,
          accepted: bool,
          acceptedAt: ?int
        )

        # Records that the caller accepts the agreement they read: its version and hash must be those in force.
        method AcceptAgreement(version: string, hash: string) -> (
          required: bool,
          version: ?string,
          hash: ?string,
          text: ?string,
          notice: string,
          accepted: bool,
          acceptedAt: ?int
        )

        # The agreement changed since the caller read it (or the caller has no account); read it again.
        error AgreementMismatch (reason: string, version: string)

        # Changes an account's category (admin; reason required).
        method Update(name: string, category: ?string, reason: string) -> (account: Account)

        # Removes an account (admin; reason required). Its requests stay in the history.
        method Remove(name: string, reason: string) -> (account: Account)

        # No such account.
        error NotFound (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed (unknown category, empty reason...).
        error InvalidParameter (parameter: string, reason: string)
        """
}
