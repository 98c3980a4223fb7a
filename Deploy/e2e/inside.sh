#!/bin/bash
# Runs inside the booted container (as the oneshot slotd-e2e.service), writes /e2e.log, and powers off.
# The host script (booted-systemd-test) reads /e2e.log from the rootfs afterwards.
exec >/e2e.log 2>&1
set -u
export SLOTD_SOCKET=/run/slotd/io.slotd
started=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 )) ms"; }
finish() { echo "e2e: $1"; systemctl poweroff --no-block; exit 0; }
fail() { echo "e2e: FAIL: $*"; journalctl -u slotd --no-pager | tail -30; finish "FAILED"; }

# slotd as a notify service (READY=1 only once it answers), the systemd executor, the repository's units.
systemd-run --unit=slotd --property=Type=notify --property=NotifyAccess=main \
    /usr/local/bin/slotd --config /etc/slotd/slotd.toml --log-level info || fail "slotd did not become ready"
echo "slotd ready after $(elapsed)"
slotctl status | tee /tmp/status.txt || fail "slotctl status"
grep -q "systemd executor" /tmp/status.txt || fail "slotd did not choose the systemd executor"
slotctl account add root --category state_body --reason "e2e test" >/dev/null || fail "account add"
slotctl agreement accept --yes >/dev/null || fail "agreement accept"

submitted=$(date +%s%N)
slotctl submit --sector public_administration --cpus 1 --memory 256M --duration 4s --workdir /root --json \
    -- /bin/sleep 60 >/tmp/submit.json || fail "submit"
id=$(sed -n 's/.*"id" : \([0-9]*\).*/\1/p' /tmp/submit.json | head -1)
[ -n "$id" ] || fail "no id in $(cat /tmp/submit.json)"
unit="slotd-$id.service"
for _ in $(seq 50); do
    [ "$(systemctl show "$unit" -p ActiveState --value)" = active ] && break
    sleep 0.1
done
echo "slot $id running as $unit after $(( ($(date +%s%N) - submitted) / 1000000 )) ms"
show() { systemctl show "$unit" -p "$1" --value; }
echo "limits: RuntimeMaxUSec=$(show RuntimeMaxUSec) MemoryMax=$(show MemoryMax) CPUQuotaPerSecUSec=$(show CPUQuotaPerSecUSec) DevicePolicy=$(show DevicePolicy) ProtectSystem=$(show ProtectSystem) Slice=$(show Slice)"
[ "$(show ActiveState)" = active ] || fail "$unit is not active"
# The limit counts from the grant, so the unit gets a few milliseconds less than 4 s.
case "$(show RuntimeMaxUSec)" in 4s | 3.9*s) ;; *) fail "RuntimeMaxUSec is $(show RuntimeMaxUSec), not about 4s" ;; esac
[ "$(show MemoryMax)" = 268435456 ] || fail "MemoryMax is $(show MemoryMax)"
[ "$(show CPUQuotaPerSecUSec)" = 1s ] || fail "CPUQuotaPerSecUSec is $(show CPUQuotaPerSecUSec)"
[ "$(show DevicePolicy)" = closed ] || fail "DevicePolicy is $(show DevicePolicy)"
[ "$(show ProtectSystem)" = strict ] || fail "ProtectSystem is $(show ProtectSystem)"
[ "$(show Slice)" = slotd.slice ] || fail "Slice is $(show Slice)"

# systemd itself stops it at 4 s; slotd records it as expired.
state=""
for _ in $(seq 100); do
    state=$(slotctl show "$id" --json | sed -n 's/.*"state" : "\([a-z]*\)".*/\1/p' | head -1)
    [ "$state" = expired ] && break
    sleep 0.1
done
echo "slot $id ended as '$state' $(( ($(date +%s%N) - submitted) / 1000000 )) ms after submit"
[ "$state" = expired ] || fail "expected expired, got '$state'"
# Art. 25 even if slotd dies: a slot outlives a killed slotd and systemd itself stops it at its limit.
slotctl submit --sector public_administration --cpus 1 --memory 256M --duration 3s --workdir /root --json \
    -- /bin/sleep 60 >/tmp/submit2.json || fail "second submit"
id2=$(sed -n 's/.*"id" : \([0-9]*\).*/\1/p' /tmp/submit2.json | head -1)
sleep 0.5
systemctl kill --signal=SIGKILL slotd.service
sleep 0.5
[ "$(systemctl show "slotd-$id2.service" -p ActiveState --value)" = active ] || fail "the slot died with slotd"
sleep 4
result=$(systemctl show "slotd-$id2.service" -p Result --value)
echo "with slotd killed, slotd-$id2.service ended with Result=$result"
[ "$result" = timeout ] || fail "expected Result=timeout from systemd, got '$result'"
finish "PASS ($(elapsed) in the container)"
