# shellcheck shell=bash
# Shared set-up steps for scripts/try-lesson-1.sh and scripts/test.sh (sourced, not run).
# Debian/Ubuntu; as root, or as a user with sudo.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${HOSTNET_VENV:-$REPO/.venv}
export STANDIN_IMAGE=hostnet/nginx-standin:latest

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# without_open_files COMMAND... : run COMMAND with only stdin, stdout and stderr
# open. For commands that start a server: whoever runs these scripts may hold a
# lock through an open file (`flock LOCK bash scripts/test.sh` passes it on), and
# a server started with that file open would hold the lock for as long as it runs.
without_open_files() {
    (
        for fd in "/proc/$BASHPID/fd"/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
        done
        exec "$@"
    )
}

# apt_install PACKAGE... : install what is missing (one apt-get update at most).
APT_UPDATED=
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "Installing ${missing[*]}"
    if [ -z "$APT_UPDATED" ]; then
        "${SUDO[@]}" apt-get update -qq
        APT_UPDATED=1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The lessons' own tools: curl, ip (iproute2), netstat (net-tools), ab (apache2-utils).
install_lesson_tools() {
    apt_install curl iproute2 net-tools apache2-utils
}

# A virtualenv with this project installed (a real, non-editable install).
install_project() {
    local extras=${1:-}
    local python=${PYTHON:-python3}
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "error: docker-hostnet needs Python 3.11 or newer ($python is $("$python" -V 2>&1))" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating $VENV"
        "$python" -m venv "$VENV" 2>/dev/null || {
            apt_install python3-venv
            "$python" -m venv "$VENV"
        }
    fi
    say "Installing docker-hostnet${extras:+[$extras]} into $VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "$REPO${extras:+[$extras]}"
}

# Mermaid's own parser (npm), for the test that parses the diagrams `show` writes
# (tests/engine/test_mermaid.py). Reinstalled only when its lock file changed.
install_mermaid_parser() {
    local dir="$REPO/tests/mermaid"
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
    if cmp -s "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"; then
        return 0
    fi
    say "Installing Mermaid's parser into tests/mermaid (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.installed-lock.json"
}
