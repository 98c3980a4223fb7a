// The wire carries the domain's records (requests, contests, accounts, audit entries, reports) and writes them with
// the JSON codec: a client that speaks the protocol sees both through this one import.
@_exported import SlotDomain
@_exported import SlotJSON
