#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then
# run it: Docker (installed and started), the lesson's tools, docker-hostnet
# with its test extras in .venv, a local PostgreSQL server (the bot's store runs
# its tests on SQLite and on PostgreSQL), the local nginx stand-in image (no registry
# is needed) and the lab VM image (cached). The style checks (ruff, mypy
# --strict) run first and fail the run on any finding. Extra arguments go to
# pytest, e.g. `scripts/test.sh -k loader`.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO/scripts/ensure-docker.sh"
install_lesson_tools
apt_install vagrant shellcheck # tests/test_vagrantfile.py: `vagrant validate`, shellcheck
apt_install openssh-server openssh-client # netns labs: sshd inside the namespace, ssh to it
apt_install qemu-system-x86 qemu-utils debootstrap # lab VMs: scripts/vm-lab.sh
# tests/test_vagrant_up.py: `vagrant up` with libvirt (the test starts libvirtd itself,
# in a network namespace of its own)
apt_install vagrant-libvirt libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base
apt_install graphviz # the bot draws the network map with Graphviz's dot
install_mermaid_parser # the Markdown's Mermaid diagrams are parsed by Mermaid itself
# PostgreSQL (Debian's `postgresql`), installed and started as dockerd is: the
# bot's store and its replicas are tested on it too (tests/support/postgres.py).
# A server this run started is stopped again when it ends, whatever the outcome.
postgres_online() { command -v pg_lsclusters >/dev/null && pg_lsclusters --no-header | grep -q ' online'; }
stop_postgres() {
    pg_lsclusters --no-header | while read -r version name _ status _; do
        if [ "${status%%,*}" = online ]; then
            say "Stopping PostgreSQL $version/$name (this run started it)"
            "${SUDO[@]}" pg_ctlcluster "$version" "$name" stop || true
        fi
    done
}
if ! postgres_online; then
    trap stop_postgres EXIT
fi
HOSTNET_TEST_POSTGRES=$("$REPO/scripts/ensure-postgres.sh")
export HOSTNET_TEST_POSTGRES
install_project test,bot,postgres,lint
"$REPO/scripts/build-standin-image.sh" "$STANDIN_IMAGE"
# The lab VM image (Debian 12, provisioned by scripts/provision-lab.sh, the
# stand-in loaded): built once, minutes; then taken from /var/cache/docker-hostnet.
LAB_IMAGE=$STANDIN_IMAGE bash "$REPO/scripts/vm-lab.sh" build >/dev/null

say "ruff and mypy"
cd "$REPO"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"

say "pytest"
"$VENV/bin/python" -m pytest "$@" # (not exec: the trap above may have a server to stop)
