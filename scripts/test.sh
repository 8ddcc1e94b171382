#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian/Ubuntu machine, then
# run it: Docker (installed and started), the lesson's tools, docker-hostnet
# with its test extras in .venv, and the local nginx stand-in image (no registry
# is needed). The style checks (ruff, mypy --strict) run first and fail the run
# on any finding. Extra arguments go to pytest, e.g. `scripts/test.sh -k loader`.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO/scripts/ensure-docker.sh"
install_lesson_tools
apt_install vagrant shellcheck # tests/test_vagrantfile.py: `vagrant validate`, shellcheck
apt_install openssh-server openssh-client # netns labs: sshd inside the namespace, ssh to it
install_project test,bot,lint
"$REPO/scripts/build-standin-image.sh" "$STANDIN_IMAGE"

say "ruff and mypy"
cd "$REPO"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy"

say "pytest"
exec "$VENV/bin/python" -m pytest "$@"
