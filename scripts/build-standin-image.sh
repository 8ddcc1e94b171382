#!/usr/bin/env bash
# Build a small local stand-in for the official `nginx` image, for machines
# where no container registry is reachable (so `docker pull nginx` fails).
#
# Usage: scripts/build-standin-image.sh [--force] [TAG]
#        (default TAG: hostnet/nginx-standin:latest)
#
# nginx comes from Debian's package (downloaded and unpacked, never installed on
# the host, where it could autostart on port 80), plus every shared library it
# needs, tcpdump (lesson 10 captures loopback traffic with it, as with
# nicolaka/netshoot) and a static busybox for a shell and network tools. The
# rootfs is turned into an image with `docker import`. Needs Debian/Ubuntu,
# apt-get and docker.
set -euo pipefail

TAG=hostnet/nginx-standin:latest
# Raised whenever the image's contents change: an image of an older revision is
# rebuilt without --force (2: tcpdump added).
REVISION=2
REVISION_LABEL=org.opencontainers.image.revision
FORCE=
for arg in "$@"; do
    case "$arg" in
        --force) FORCE=1 ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        -*) echo "unknown option: $arg" >&2; exit 2 ;;
        *) TAG=$arg ;;
    esac
done

if [ -z "$FORCE" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
    have=$(docker image inspect -f "{{index .Config.Labels \"$REVISION_LABEL\"}}" "$TAG" 2>/dev/null || true)
    if [ "$have" = "$REVISION" ]; then
        echo "Image $TAG already exists (use --force to rebuild)."
        exit 0
    fi
    echo "Image $TAG is of an older revision (${have:-1}, now $REVISION): rebuilding it."
fi

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/rootfs
PKG=$WORK/pkg

# --- nginx from the Debian packages (nginx-common has mime.types) ------------
APT_OPTS=()
# As root apt-get drops to the _apt user, which cannot write into our temp dir.
[ "$(id -u)" -ne 0 ] || APT_OPTS=(-o APT::Sandbox::User=root)
(
    cd "$WORK"
    apt-get "${APT_OPTS[@]}" download nginx nginx-common tcpdump libpcap0.8 2>/dev/null || {
        "${SUDO[@]}" apt-get update
        apt-get "${APT_OPTS[@]}" download nginx nginx-common tcpdump libpcap0.8
    }
)
for deb in "$WORK"/*.deb; do dpkg-deb -x "$deb" "$PKG"; done
NGINX_VERSION=$(dpkg-deb -f "$WORK"/nginx_*.deb Version)
NGINX=$PKG/usr/sbin/nginx
TCPDUMP=$PKG/usr/bin/tcpdump
# libpcap from its package (it need not be installed on this host); the other
# libraries are the host's, as for nginx.
PKG_LIBS=$(dirname "$(find "$PKG" -name 'libpcap.so.0.8' | head -n 1)")

# --- busybox (static) from the host -------------------------------------------
if ! command -v busybox >/dev/null || ldd "$(command -v busybox)" >/dev/null 2>&1; then
    # missing, or a dynamically linked build: get Debian's static one
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static
fi
BUSYBOX=$(command -v busybox)

# --- rootfs --------------------------------------------------------------------
mkdir -p "$ROOT"/{bin,usr/bin,usr/sbin,etc/nginx/conf.d,etc/nginx/listen.d,usr/share/nginx/html,var/log/nginx,run,tmp}
chmod 1777 "$ROOT/tmp"
ln -s ../run "$ROOT/var/run"
ln -s ../run/lock "$ROOT/var/lock"
mkdir -p "$ROOT/run/lock"
# Temp paths the Debian build is compiled with (see `nginx -V`); nginx creates
# the subdirectories itself but not /var/lib/nginx.
mkdir -p "$ROOT"/var/lib/nginx/{body,fastcgi,proxy,scgi,uwsgi}

install -m 755 "$NGINX" "$ROOT/usr/sbin/nginx"
install -m 755 "$TCPDUMP" "$ROOT/usr/bin/tcpdump"
cp "$PKG/etc/nginx/mime.types" "$ROOT/etc/nginx/"

# Shared libraries and the dynamic loader, at the paths ldd reports (the
# unpacked libpcap at the path the image's loader searches).
for binary in "$NGINX" "$TCPDUMP"; do
    if LD_LIBRARY_PATH=$PKG_LIBS ldd "$binary" | grep -q 'not found'; then
        echo "error: missing libraries for $(basename "$binary") on this host:" >&2
        LD_LIBRARY_PATH=$PKG_LIBS ldd "$binary" | grep 'not found' >&2
        exit 1
    fi
    LD_LIBRARY_PATH=$PKG_LIBS ldd "$binary" | grep -o '/[^ ]*' | sort -u | while read -r lib; do
        case "$lib" in
            "$PKG_LIBS"/*) dest=/usr/lib/x86_64-linux-gnu/${lib#"$PKG_LIBS"/} ;;
            *) dest=$lib ;;
        esac
        mkdir -p "$ROOT$(dirname "$dest")"
        cp -L "$lib" "$ROOT$dest"
    done
done

install -m 755 "$BUSYBOX" "$ROOT/bin/busybox"
for app in sh ip wget ps cat ls nslookup hostname sleep grep echo id ifconfig netstat top kill env; do
    if "$BUSYBOX" --list | grep -qx "$app"; then
        ln -s busybox "$ROOT/bin/$app"
    fi
done

# Users: nginx workers run as `nginx` (uid/gid 101, as in the official image).
cat > "$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nginx:x:101:101:nginx user:/nonexistent:/bin/false
tcpdump:x:102:102:tcpdump:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$ROOT/etc/group" <<'EOF'
root:x:0:
nginx:x:101:
tcpdump:x:102:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$ROOT/etc/nsswitch.conf"

# Config laid out like the official image (nginx.conf + conf.d/default.conf).
cat > "$ROOT/etc/nginx/nginx.conf" <<'EOF'
# docker-hostnet stand-in for the official nginx image ("daemon off" comes from CMD)
user  nginx;
worker_processes  auto;
error_log  /dev/stderr notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';
    access_log  /dev/stdout  main;   # like the official image: `docker logs` shows requests
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
EOF
cat > "$ROOT/etc/nginx/conf.d/default.conf" <<'EOF'
server {
    listen       80;
    # /docker-entrypoint.sh puts "listen [::]:80;" here when IPv6 is available
    include /etc/nginx/listen.d/*.conf;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }
}
EOF

cat > "$ROOT/usr/share/nginx/html/index.html" <<'EOF'
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
<p>This is the docker-hostnet local stand-in for the official nginx image.</p>
<p><em>Thank you for using nginx.</em></p>
</body>
</html>
EOF

# Entrypoint: like the official image (10-listen-on-ipv6-by-default.sh), also
# listen on [::]:80 when the kernel offers IPv6 in this network namespace, i.e.
# /proc/net/if_inet6 exists (it may be empty: Docker disables IPv6 addresses in
# bridge containers, yet binding [::]:80 works there, as with the real image).
cat > "$ROOT/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = nginx ]; then
    if [ -f /proc/net/if_inet6 ]; then
        echo 'listen [::]:80;' > /etc/nginx/listen.d/ipv6.conf
        echo "$0: IPv6 available, listening on [::]:80 too"
    else
        rm -f /etc/nginx/listen.d/ipv6.conf
        echo "$0: no IPv6 in this network namespace, listening on IPv4 only"
    fi
fi
exec "$@"
EOF
chmod 755 "$ROOT/docker-entrypoint.sh"

# --- import --------------------------------------------------------------------
OLD_ID=$(docker image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
CHANGES=(
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    -c 'ENTRYPOINT ["/docker-entrypoint.sh"]'
    -c 'CMD ["nginx", "-g", "daemon off;"]'
    -c 'EXPOSE 80/tcp'
    -c 'LABEL org.opencontainers.image.description="docker-hostnet local stand-in for nginx"'
    -c "LABEL $REVISION_LABEL=$REVISION"
    -m "docker-hostnet stand-in for nginx (Debian nginx $NGINX_VERSION)"
)
import_rootfs() {
    tar -C "$ROOT" --numeric-owner --owner=0 --group=0 -c . | docker import "$@" - "$TAG" >/dev/null
}
echo "Importing rootfs as $TAG ..."
if ! err=$(import_rootfs "${CHANGES[@]}" -c 'STOPSIGNAL SIGQUIT' 2>&1); then
    case "$err" in
        *stopsignal*)
            # Engines before 23.0 reject STOPSIGNAL in import changes: import
            # without it, then add it in a metadata-only build step.
            import_rootfs "${CHANGES[@]}"
            if ! err=$(printf 'FROM %s\nSTOPSIGNAL SIGQUIT\n' "$TAG" | docker build -q -t "$TAG" - 2>&1); then
                echo "$err" >&2; exit 1
            fi ;;
        *) echo "$err" >&2; exit 1 ;;
    esac
fi
# A --force rebuild leaves the previous image untagged: drop it if unused.
NEW_ID=$(docker image inspect -f '{{.Id}}' "$TAG")
if [ -n "$OLD_ID" ] && [ "$OLD_ID" != "$NEW_ID" ]; then
    docker image rm "$OLD_ID" >/dev/null 2>&1 || true
fi

docker image inspect -f 'Built {{index .RepoTags 0}}: id {{.Id}}, size {{.Size}} bytes, stop signal {{.Config.StopSignal}}' "$TAG"
docker image ls "$TAG"
