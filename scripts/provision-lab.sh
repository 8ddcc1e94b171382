#!/usr/bin/env bash
# Provision a docker-hostnet lab VM (run as root by the Vagrantfile). Idempotent.
set -euo pipefail

LAB_IMAGE=${LAB_IMAGE:-nginx}
VENV=/opt/docker-hostnet/venv
export DEBIAN_FRONTEND=noninteractive

say() { printf '==> %s\n' "$*"; }

# Ubuntu's and Debian's docker.io both work. Nothing is fetched when all is
# installed already (the local lab image has them, and no network).
PACKAGES=(docker.io curl net-tools iproute2 apache2-utils)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "Installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
else
    say "Docker and the lesson tools are installed"
fi
systemctl enable --now docker

# Let the login user run docker without sudo (from the next login on).
if id vagrant >/dev/null 2>&1; then
    usermod -aG docker vagrant
fi

# Pre-pull the lesson image; a failure here is not fatal.
if docker image inspect "$LAB_IMAGE" >/dev/null 2>&1; then
    say "Image $LAB_IMAGE already present"
elif docker pull -q "$LAB_IMAGE"; then
    say "Pulled $LAB_IMAGE"
else
    echo "WARNING: could not pull $LAB_IMAGE; the lessons will try again." >&2
fi

# docker-hostnet itself, only when the project folder is synced (LAB_SYNC=1).
if [ ! -f /vagrant/pyproject.toml ]; then
    say "Project not synced: docker-hostnet is not installed in this VM."
    say "To install it: LAB_SYNC=1 vagrant reload --provision"
    exit 0
fi
# Must match requires-python in pyproject.toml (Ubuntu 24.04 has 3.12).
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "WARNING: docker-hostnet needs Python 3.11+, this box has $(python3 -V 2>&1);" \
         "not installing it here (lessons can still target this VM over SSH)." >&2
    exit 0
fi
say "Installing docker-hostnet into $VENV"
apt-get install -y -qq python3-venv >/dev/null
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade /vagrant
"$VENV/bin/hostnet" install --system
