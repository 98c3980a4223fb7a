"""Drives slotd with the reference Python Varlink client (PyPI `varlink`), unmodified.

Usage: varlink_client.py SOCKET_PATH
Exits 0 when every check passes; prints each check. Run by SlotDaemonTests.InteropTests.
"""
import sys
import time

import varlink

address = "unix:" + sys.argv[1]
checks = 0


def check(condition, what):
    global checks
    if not condition:
        print("FAIL:", what)
        sys.exit(1)
    checks += 1
    print("ok:", what)


with varlink.Client(address=address) as client:
    # GetInfo and GetInterfaceDescription: the client parses every interface's IDL.
    with client.open("org.varlink.service") as service:
        info = service.GetInfo()
        check("io.slotd.Requests" in info["interfaces"], "GetInfo lists io.slotd.Requests")
        for name in info["interfaces"]:
            description = service.GetInterfaceDescription(name)["description"]
            varlink.Interface(description)  # raises when the IDL does not parse
            check(description.startswith("#"), "GetInterfaceDescription %s parses" % name)

    with client.open("io.slotd.Requests") as requests:
        submitted = requests.Submit(sector="healthcare", gpus=0, cpus=1, memoryMiB=64, durationSeconds=30,
                                    purpose="interop", command=["sleep", "30"], workingDirectory="/tmp")["request"]
        check(submitted["state"] in ("pending", "running"), "Submit returns the request")
        rid = submitted["id"]
        check(requests.Get(id=rid)["request"]["purpose"] == "interop", "Get returns the owner's full request")
        listed = requests.List()["requests"]
        check(any(r["id"] == rid for r in listed), "List includes it")
        explained = requests.Explain(id=rid)
        check("estimateNote" in explained, "Explain answers")

        # Watch with more: the first reply is the current state, the next the cancellation.
        with client.open("io.slotd.Requests") as watcher, client.open("io.slotd.Requests") as other:
            stream = watcher.Watch(id=rid, _more=True)
            first = next(stream)
            check(first["request"]["id"] == rid, "Watch streams the current state first")
            other.Cancel(id=rid)
            states = [first["request"]["state"]] + [reply["request"]["state"] for reply in stream]
            check(states[-1] == "cancelled", "Watch streams the cancellation and ends (%s)" % states)

        try:
            requests.Get(id=987654)
            check(False, "NotFound raised")
        except varlink.VarlinkError as error:
            check(error.error() == "io.slotd.Requests.NotFound", "NotFound is a named error")
        try:
            requests.Submit(sector="no_such_sector", gpus=0, purpose="x", command=["true"], workingDirectory="/tmp")
            check(False, "PolicyViolation raised")
        except varlink.VarlinkError as error:
            reasons = [r["code"] for r in error.parameters()["reasons"]]
            check(error.error() == "io.slotd.Requests.PolicyViolation" and "unknown-sector" in reasons,
                  "PolicyViolation carries every reason")

    # Users' rights: the agreement (the harness accepted it), a contest on a pending request, a report.
    with client.open("io.slotd.Accounts") as accounts:
        agreement = accounts.Agreement()
        check(agreement["accepted"] and "automated" in agreement["notice"], "Agreement answers, accepted")
    with client.open("io.slotd.Requests") as requests, client.open("io.slotd.Contests") as contests:
        try:
            requests.Submit(sector="no_such_sector", gpus=0, purpose="x", command=["true"], workingDirectory="/tmp")
            check(False, "PolicyViolation raised")
        except varlink.VarlinkError as error:
            rejected = error.parameters()["id"]
        contest = contests.Open(id=rejected, reason="interop check")["contest"]
        check(contest["state"] == "open" and contest["kind"] == "rejection", "Contests.Open answers")
        listed = contests.List()["contests"]
        check(any(c["id"] == contest["id"] for c in listed), "Contests.List includes it")
    with client.open("io.slotd.Reports") as reports:
        now = int(time.time() * 1000)
        report = reports.Allocation(**{"from": now - 86400000, "to": now + 60000, "by": "account"})["report"]
        check(report["by"] == "account" and len(report["groups"]) == 1, "Reports.Allocation answers")

print("%d checks passed" % checks)
