#!/usr/bin/env bash
# Make sure a Docker engine is installed and running (Debian/Ubuntu).
# Idempotent: does nothing if `docker info` already answers.
# Runs as root, or uses sudo for the privileged steps when not root.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh" # without_open_files

LOG=/var/log/dockerd.log
TIMEOUT=${DOCKER_START_TIMEOUT:-60} # seconds to wait for the daemon to answer

if docker info >/dev/null 2>&1; then
    echo "Docker engine is running (server $(docker version -f '{{.Server.Version}}' 2>/dev/null))."
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: not root and sudo is not installed" >&2; exit 1; }
    SUDO=(sudo)
fi

# The daemon may run while we (non-root) cannot reach its socket: check as root.
docker_ok() { "${SUDO[@]}" docker info >/dev/null 2>&1; }

# Install the engine (docker.io ships both dockerd and the docker CLI).
if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    echo "Installing docker.io ..."
    "${SUDO[@]}" apt-get update
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

# Start it, unless a daemon is already running (it may still be starting up).
if docker_ok; then
    :
elif [ -d /run/systemd/system ]; then
    echo "Starting docker with systemctl ..."
    "${SUDO[@]}" systemctl start docker
elif [ -f /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    # (the host engine's pidfile: lab engines in network namespaces have their own)
    echo "dockerd is already running; waiting for it to answer ..."
else
    echo "No systemd: starting dockerd in the background (log: $LOG) ..."
    # setsid + nohup detach it from this shell/terminal; the redirections
    # happen inside the (possibly sudo'ed) root shell so the log is writable.
    # No open file but those: not a lock of whoever runs this (common.sh).
    STARTED_PID=$(without_open_files "${SUDO[@]}" sh -c "setsid nohup dockerd >>'$LOG' 2>&1 </dev/null & echo \$!")
fi

for _ in $(seq "$TIMEOUT"); do
    if docker_ok; then
        if docker info >/dev/null 2>&1; then
            echo "Docker engine is running (server $(docker version -f '{{.Server.Version}}' 2>/dev/null))."
        else
            echo "Docker engine is running, but $(id -un) cannot use it without sudo" \
                 "(add the user to the 'docker' group and log in again)."
        fi
        exit 0
    fi
    sleep 1
    # Fail fast if the dockerd we just started has already died.
    if [ -n "${STARTED_PID:-}" ] && [ ! -d "/proc/$STARTED_PID" ]; then
        echo "error: dockerd exited right after starting. Last lines of $LOG:" >&2
        "${SUDO[@]}" tail -n 20 "$LOG" >&2 || true
        exit 1
    fi
done

echo "error: Docker engine did not answer within ${TIMEOUT}s. Last log lines:" >&2
if [ -d /run/systemd/system ]; then
    "${SUDO[@]}" journalctl -u docker -n 20 --no-pager >&2 || true
else
    "${SUDO[@]}" tail -n 20 "$LOG" >&2 || true
fi
exit 1
