#!/usr/bin/env bash
# Make sure a local PostgreSQL server runs (Debian/Ubuntu's `postgresql`), for the
# tests that run the bot's store against PostgreSQL, and print the URL they use.
# Idempotent, as scripts/ensure-docker.sh: installs the package if missing, makes
# a cluster if there is none, starts it if it is down (by hand when there is no
# systemd), and creates the test role `hostnet_test` (may create databases; a
# password, on 127.0.0.1 only). Runs as root, or uses sudo.
#
#   url=$(scripts/ensure-postgres.sh)   # postgresql://hostnet_test:…@127.0.0.1:5432/postgres
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec 3>&1 1>&2 # progress on stderr; only the URL on stdout

ROLE=hostnet_test
TIMEOUT=${POSTGRES_START_TIMEOUT:-60} # seconds to wait for the server to answer

apt_install postgresql
as_postgres() { "${SUDO[@]}" runuser -u postgres -- "$@"; }

# The newest cluster (Debian's package makes "main" for its version; make one if
# it was dropped).
cluster=$(pg_lsclusters --no-header | sort -k1,1V | tail -n 1)
if [ -z "$cluster" ]; then
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    say "Creating PostgreSQL cluster $version/main"
    "${SUDO[@]}" pg_createcluster "$version" main >/dev/null
    cluster=$(pg_lsclusters --no-header | sort -k1,1V | tail -n 1)
fi
read -r version name port status _ <<<"$cluster"

if [ "${status%%,*}" != online ]; then
    if [ -d /run/systemd/system ]; then
        say "Starting PostgreSQL $version/$name with systemctl"
        "${SUDO[@]}" systemctl start "postgresql@$version-$name"
    else
        # No systemd (a container, CI): pg_ctlcluster starts it in the background
        # as the postgres user; its log is /var/log/postgresql/. With no open file
        # but stdin, stdout and stderr: not a lock of whoever runs this (common.sh).
        say "No systemd: starting PostgreSQL $version/$name with pg_ctlcluster"
        without_open_files "${SUDO[@]}" pg_ctlcluster "$version" "$name" start ||
            pg_lsclusters --no-header | grep -q "^$version *$name .*online" # started meanwhile
    fi
fi

for _ in $(seq "$TIMEOUT"); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 1
done
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    echo "error: PostgreSQL $version/$name did not answer on 127.0.0.1:$port within ${TIMEOUT}s" >&2
    "${SUDO[@]}" tail -n 20 "/var/log/postgresql/postgresql-$version-$name.log" >&2 || true
    exit 1
fi

if [ "$(as_postgres psql -p "$port" -XtAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    say "Creating the test role $ROLE"
    as_postgres psql -p "$port" -Xq -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$ROLE'"
fi
echo "PostgreSQL $version/$name is running on 127.0.0.1:$port."
echo "postgresql://$ROLE:$ROLE@127.0.0.1:$port/postgres" >&3
