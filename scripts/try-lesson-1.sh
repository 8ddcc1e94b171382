#!/usr/bin/env bash
# Everything needed to run lesson 1 on this machine's Docker engine, then run it:
# Docker (installed and started if needed), curl/ip/netstat, docker-hostnet in
# .venv, the `docker hostnet` plugin, and the nginx image (pulled, or the local
# stand-in when no registry is reachable). Extra arguments go to `lesson 1`.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO/scripts/ensure-docker.sh"
install_lesson_tools
install_project ""
say "Installing the Docker CLI plugin"
"$VENV/bin/hostnet" install

image=nginx
if ! docker image inspect nginx >/dev/null 2>&1; then
    say "Pulling nginx"
    if ! docker pull nginx; then
        "$REPO/scripts/build-standin-image.sh" "$STANDIN_IMAGE"
        image=$STANDIN_IMAGE
        say "No registry is reachable: the lesson uses the local stand-in image $image" \
            "(nginx from Debian, built by scripts/build-standin-image.sh) instead of nginx."
    fi
fi

say "docker hostnet lesson 1 --auto"
exec docker hostnet lesson 1 --auto --var "image=$image" "$@"
