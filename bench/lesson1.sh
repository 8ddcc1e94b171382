#!/usr/bin/env bash
# Lesson 1 by hand: the same five commands, equivalent checks, the answers --auto shows
# and the same cleanup, as a careful person would script them (but not the network map
# lesson 1 draws after step 1). bench/run.py times this against `hostnet lesson 1 --auto`.
# Usage: bench/lesson1.sh IMAGE
set -euo pipefail
# `grep` reads to the end (no -q): with pipefail, `cmd | grep -q` fails when grep exits
# early and cmd gets SIGPIPE (ip addr show on a machine with many interfaces).
IMAGE=${1:-nginx}
fail() { echo "FAIL: $*" >&2; docker rm -f my_nginx >/dev/null 2>&1 || true; exit 1; }
# Live state may take a moment to settle: wait up to 10 s, the bound the engine's checks
# settle within (Runner.settle_timeout), so that both sides give a loaded machine the same time.
wait_for() { for _ in $(seq 200); do if eval "$1"; then return 0; fi; sleep 0.05; done; return 1; }

# prerequisites, as the lesson checks them: no my_nginx, port 80 free, the image present
! docker container inspect my_nginx >/dev/null 2>&1 || fail "my_nginx exists"
! netstat -tln | grep ':80 ' >/dev/null || fail "port 80 in use"
docker image inspect "$IMAGE" >/dev/null || fail "no image"
before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
# 1. run
id=$(docker run --rm -d --network host --name my_nginx "$IMAGE")
[[ $id =~ ^[0-9a-f]{64}$ ]] || fail "no container id"
read -r status mode pid address < <(docker inspect -f '{{.State.Status}} {{.HostConfig.NetworkMode}} {{.State.Pid}} {{.NetworkSettings.IPAddress}}' my_nginx)
[ "$status $mode" = "running host" ] && [ -z "${address:-}" ] || fail "not running on host, or it has an address"
# the namespace checks: net shared with the host, pid and uts its own
[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ] || fail "own network namespace"
for ns in pid uts; do
    [ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] || fail "shares $ns"
done
wait_for "netstat -tlnp | grep ':80 .*nginx' >/dev/null" || fail "port 80 not owned by nginx"
# 2. curl
curl -s http://localhost:80/ | grep 'Welcome to nginx!' >/dev/null || fail "no page"
wait_for "docker logs my_nginx 2>/dev/null | grep 'GET / HTTP' >/dev/null" || fail "request not logged"
# 3. ip addr show
listing=$(ip addr show)
grep '^1: lo:' <<<"$listing" >/dev/null || fail "no lo"
echo "interfaces listed: $(grep -c '^[0-9]*: ' <<<"$listing")"  # the step's answer
[ "$(ip -o link show | awk -F': ' '{print $2}' | sort)" = "$before" ] || fail "interfaces changed"
# 4. netstat
owner=$(netstat -tulpn | grep :80 | grep nginx) || fail "netstat does not show nginx"
echo "port 80 owned by PID $(grep -o '[0-9]*/nginx' <<<"$owner" | head -1 | cut -d/ -f1)"  # the answer
# 5. stop
docker container stop my_nginx | grep my_nginx >/dev/null || fail "stop"
wait_for "! docker inspect my_nginx >/dev/null 2>&1" || fail "container still there"
wait_for "! netstat -tln | grep ':80 ' >/dev/null" || fail "port 80 still in use"
docker rm -f my_nginx >/dev/null 2>&1 || true  # the lesson's cleanup
echo "lesson 1 by hand: all checks passed"
