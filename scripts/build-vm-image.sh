#!/usr/bin/env bash
# Build the lab VM image: Debian 12 from debootstrap with the kernel and its
# modules, provisioned by scripts/provision-lab.sh (the Vagrantfile's own
# script) in the booted VM, the lesson image loaded from this machine's engine
# (no registry needed), and a login user `vagrant` with a key made for the image.
#
# Usage: scripts/build-vm-image.sh [--force]   build unless cached, print the image folder
#        scripts/build-vm-image.sh --key       print the cache key and exit
#
# The image is cached in $HOSTNET_VM_CACHE/images/KEY (default
# /var/cache/docker-hostnet/vm). KEY is a hash of its inputs: this script,
# scripts/vm-image.packages, scripts/provision-lab.sh and the lesson image's
# id; change one and the next build makes a new image. `current` links to the
# newest. Settings: LAB_IMAGE (default hostnet/nginx-standin:latest, loaded
# from the local engine), VM_MIRROR (Debian mirror), VM_DISK_SIZE (default 8G).
# Needs root, debootstrap, qemu-system-x86, qemu-utils, e2fsprogs and Docker.
set -euo pipefail
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm-lib.sh
source "$SCRIPTS/vm-lib.sh"

SUITE=bookworm
MIRROR=${VM_MIRROR:-http://deb.debian.org/debian}
LAB_IMAGE=${LAB_IMAGE:-hostnet/nginx-standin:latest}
PACKAGES=$SCRIPTS/vm-image.packages
PROVISION=$SCRIPTS/provision-lab.sh
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-600}

FORCE=
case "${1:-}" in
    --force) FORCE=1 ;;
    --key | "") ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) vm_die "unknown argument: $1" "usage: $0 [--force|--key]" 2 ;;
esac

image_id=$(docker image inspect -f '{{.Id}}' "$LAB_IMAGE" 2>/dev/null) ||
    vm_die "the lesson image $LAB_IMAGE is not in this machine's Docker engine" \
        "build it with scripts/build-standin-image.sh, or set LAB_IMAGE to an image you have"
KEY=$(
    {
        echo "suite $SUITE"
        echo "lab-image $LAB_IMAGE $image_id"
        for input in "$0" "$PACKAGES" "$PROVISION"; do
            echo "$(basename "$input") $(sha256sum <"$input" | cut -d' ' -f1)"
        done
    } | sha256sum | cut -c1-16
)
if [ "${1:-}" = --key ]; then
    echo "$KEY"
    exit 0
fi

IMAGES=$VM_CACHE/images
FINAL=$IMAGES/$KEY
use() { # point `current` at the image, drop images that no VM runs on
    ln -sfn "$KEY" "$IMAGES/current"
    local old
    for old in "$IMAGES"/*; do
        if [ ! -d "$old" ] || [ -L "$old" ] || [ "$old" = "$FINAL" ]; then
            continue
        fi
        # (a VM's qemu names the image's files; a stopped VM's folder names its image)
        if ! grep -qaF "$old/" /proc/[0-9]*/cmdline 2>/dev/null &&
            ! grep -qxF "$old" "$VM_STATE"/*/image 2>/dev/null; then
            rm -rf "$old"
        fi
    done
    echo "$FINAL"
}
if [ -z "$FORCE" ] && [ -f "$FINAL/complete" ]; then
    vm_say "Lab VM image $KEY is cached ($FINAL)"
    use
    exit 0
fi

[ "$(id -u)" -eq 0 ] || vm_die "building the VM image needs root"
for tool in debootstrap "$QEMU" qemu-img mkfs.ext4 ssh ssh-keygen; do
    command -v "$tool" >/dev/null ||
        vm_die "$tool is missing" "apt-get install debootstrap qemu-system-x86 qemu-utils e2fsprogs openssh-client"
done

mkdir -p "$IMAGES"
exec {build_lock}>"$VM_CACHE/build.lock"
flock -w 1800 "$build_lock" || vm_die "another build has held $VM_CACHE/build.lock for 30 minutes"
if [ -z "$FORCE" ] && [ -f "$FINAL/complete" ]; then # built meanwhile
    use
    exit 0
fi

WORK=$IMAGES/$KEY.building
ROOT=$WORK/rootfs
BOOT=$WORK/boot
cleanup() {
    vm_kill "$BOOT" 2>/dev/null || true
    umount "$ROOT/proc" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK" "$FINAL"
mkdir -p "$WORK" "$BOOT"
started=$SECONDS
stage() { vm_say "[$((SECONDS - started)) s] $*"; }

stage "debootstrap $SUITE (minbase) from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 20 "$WORK/debootstrap.log" >&2
    vm_die "debootstrap failed" "is $MIRROR reachable? (VM_MIRROR picks another mirror)"
}
if [ "$MIRROR" = http://deb.debian.org/debian ]; then
    printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
        "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "$SUITE" >"$ROOT/etc/apt/sources.list"
fi

stage "Installing the packages of $(basename "$PACKAGES")"
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PACKAGES")
# No service may start in the chroot (docker.io's postinst would start dockerd here).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
mount -t proc proc "$ROOT/proc"
chroot "$ROOT" apt-get update -qq
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >"$WORK/apt.log" 2>&1 || {
    tail -n 30 "$WORK/apt.log" >&2
    vm_die "installing the packages into the image failed"
}
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT/usr/sbin/policy-rc.d"
umount "$ROOT/proc"

stage "Configuring: network, login user, keys"
echo hostnet-lab >"$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\thostnet-lab\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$ROOT/etc/fstab"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n' >"$ROOT/etc/systemd/network/10-uplink.network"
chroot "$ROOT" systemctl enable -q systemd-networkd
echo 'nameserver 10.0.2.3' >"$ROOT/etc/resolv.conf" # qemu user-mode's resolver (VM_OUTBOUND=1)
chroot "$ROOT" useradd --create-home --shell /bin/bash --groups sudo "$VM_USER"
echo "$VM_USER ALL=(ALL) NOPASSWD: ALL" >"$ROOT/etc/sudoers.d/$VM_USER"
chmod 440 "$ROOT/etc/sudoers.d/$VM_USER"
ssh-keygen -q -t ed25519 -N '' -C "hostnet-lab-$KEY" -f "$WORK/id_ed25519"
install -d -m 700 "$ROOT/home/$VM_USER/.ssh"
install -m 600 "$WORK/id_ed25519.pub" "$ROOT/home/$VM_USER/.ssh/authorized_keys"
chroot "$ROOT" chown -R "$VM_USER:$VM_USER" "/home/$VM_USER/.ssh"
[ -f "$ROOT/etc/ssh/ssh_host_ed25519_key.pub" ] || chroot "$ROOT" ssh-keygen -A
cp "$ROOT/etc/ssh/ssh_host_ed25519_key.pub" "$WORK/host_ed25519.pub"
cp "$ROOT"/boot/vmlinuz-* "$WORK/vmlinuz"
cp "$ROOT"/boot/initrd.img-* "$WORK/initrd.img"
kernel_version=$(basename "$ROOT"/lib/modules/*)

stage "Making the disk (ext4, ${VM_DISK_SIZE:-8G}, qcow2)"
truncate -s "${VM_DISK_SIZE:-8G}" "$WORK/disk.raw"
mkfs.ext4 -q -F -L hostnet-root -d "$ROOT" "$WORK/disk.raw"
rm -rf "$ROOT"
qemu-img convert -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
rm -f "$WORK/disk.raw"

stage "Booting it to provision it"
vm_lock_ports
port=$(vm_pick_port "")
vm_boot "$WORK/disk.qcow2" "$WORK/vmlinuz" "$WORK/initrd.img" "$port" "$BOOT" ||
    vm_die "qemu did not start: $(cat "$BOOT/qemu.err")"
vm_unlock_ports
stage "Booted with $(cat "$BOOT/accel") on 127.0.0.1:$port; waiting for SSH and the engine"
vm_write_ssh_config build "$port" "$WORK/id_ed25519" "$WORK/host_ed25519.pub" "$BOOT"
vm_wait "$BOOT" build "$BOOT_TIMEOUT" root-engine || vm_die "the new image does not boot to a running Docker engine"

stage "Loading $LAB_IMAGE into the VM's engine"
docker save "$LAB_IMAGE" | vm_ssh "$BOOT" build sudo docker load >&2

stage "Running scripts/provision-lab.sh in the VM"
vm_ssh "$BOOT" build "sudo LAB_IMAGE=$(printf %q "$LAB_IMAGE") bash -s" <"$PROVISION" >"$WORK/provision.log" 2>&1 || {
    tail -n 20 "$WORK/provision.log" >&2
    vm_die "scripts/provision-lab.sh failed in the VM"
}
vm_ssh "$BOOT" build "id -nG; docker image ls --format '{{.Repository}}:{{.Tag}}'" >"$WORK/check.log" </dev/null
grep -qw docker "$WORK/check.log" || vm_die "$VM_USER is not in the docker group after provisioning"
grep -qxF "$LAB_IMAGE" "$WORK/check.log" || vm_die "$LAB_IMAGE is missing in the VM after provisioning"

stage "Powering it off"
vm_ssh "$BOOT" build sudo systemctl poweroff </dev/null >/dev/null 2>&1 || true
for _ in $(seq 120); do
    vm_pid "$BOOT" >/dev/null || break
    sleep 1
done
vm_pid "$BOOT" >/dev/null && vm_die "the VM did not power off within 120 s"
rm -rf "$BOOT"

cat >"$WORK/info" <<EOF
key=$KEY
suite=$SUITE
kernel=$kernel_version
lab_image=$LAB_IMAGE
lab_image_id=$image_id
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
build_seconds=$((SECONDS - started))
EOF
touch "$WORK/complete"
mv "$WORK" "$FINAL"
trap - EXIT
stage "Lab VM image $KEY built ($(du -sh --apparent-size "$FINAL/disk.qcow2" | cut -f1) disk, kernel $kernel_version)"
use
