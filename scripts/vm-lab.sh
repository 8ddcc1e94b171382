#!/usr/bin/env bash
# Lab VMs on one Linux machine, with qemu: the lab image (scripts/build-vm-image.sh)
# booted with KVM where a Linux guest really runs with it, else with TCG (pure
# emulation, several times slower). Each VM is reached over SSH on a port of
# its own on 127.0.0.1; the guest can send nothing anywhere else.
#
#   scripts/vm-lab.sh build [--force]   build the image, or reuse the cached one
#   scripts/vm-lab.sh up NAME [--no-wait]
#                                       boot NAME (a new VM, or the same disk again)
#                                       and wait until SSH and its Docker engine answer
#   scripts/vm-lab.sh ssh-config NAME   `vagrant ssh-config`-style output, host key pinned:
#                                       > NAME.ssh; docker hostnet lab add NAME --ssh-config NAME.ssh
#   scripts/vm-lab.sh status [NAME]     ready (exit 0), booting (3) or stopped (1)
#   scripts/vm-lab.sh down NAME         stop it and delete its disk: nothing is left
#   scripts/vm-lab.sh box               the image as a vagrant-libvirt box (see the README)
#
# Settings: VM_MEMORY (MiB, default 1024), VM_CPUS (1), VM_PORT_BASE (2222),
# VM_ACCEL (kvm|tcg: skip the probe), VM_BOOT_TIMEOUT (s, default 600),
# VM_OUTBOUND=1 (let the guest reach the network through qemu's NAT, e.g. to
# pull images), HOSTNET_VM_DIR (VMs, default /var/lib/docker-hostnet/vms),
# HOSTNET_VM_CACHE (images, default /var/cache/docker-hostnet/vm). As root.
set -euo pipefail
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/vm-lib.sh
source "$SCRIPTS/vm-lib.sh"

BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-600}

usage() {
    awk 'NR > 6 && /^#/ { sub(/^# ?/, ""); print; next } NR > 6 { exit }' "$0" >&2
    exit 2
}

vm_dir() { # vm_dir NAME: the VM's folder, after checking the name
    [[ "$1" =~ ^[a-z][a-z0-9-]{0,30}$ ]] ||
        vm_die "invalid VM name '$1'" "use a-z, 0-9 and -, starting with a letter (at most 31)" 2
    echo "$VM_STATE/$1"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cmd_up() {
    local name=$1 wait=${2:-wait} dir image port started
    dir=$(vm_dir "$name")
    [ "$(id -u)" -eq 0 ] || vm_die "lab VMs need root"
    if [ -f "$dir/image" ]; then
        image=$(cat "$dir/image") # the same disk boots again on the image it was made from
        [ -f "$image/complete" ] || vm_die "the image of VM $name is gone ($image)" \
            "remove the VM (scripts/vm-lab.sh down $name) and make it again"
    else
        image=$(readlink -f "$VM_CACHE/images/current" 2>/dev/null || true)
        if [ -z "$image" ] || [ ! -f "$image/complete" ]; then
            vm_say "No lab VM image yet: building it (a few minutes, once)"
            image=$(bash "$SCRIPTS/build-vm-image.sh")
        fi
    fi
    mkdir -p "$dir"
    if vm_pid "$dir" >/dev/null; then
        vm_say "VM $name is already running"
    else
        echo "$image" >"$dir/image"
        [ -f "$dir/disk.qcow2" ] ||
            qemu-img create -q -f qcow2 -b "$image/disk.qcow2" -F qcow2 "$dir/disk.qcow2"
        vm_lock_ports
        port=$(vm_pick_port "$(cat "$dir/port" 2>/dev/null || true)")
        started=$(now)
        vm_boot "$dir/disk.qcow2" "$image/vmlinuz" "$image/initrd.img" "$port" "$dir" ||
            vm_die "qemu did not start: $(cat "$dir/qemu.err")"
        echo "$port" >"$dir/port"
        vm_unlock_ports
        echo "$started" >"$dir/started"
        vm_write_ssh_config "$name" "$port" "$image/id_ed25519" "$image/host_ed25519.pub" "$dir"
        vm_say "VM $name booting with $(cat "$dir/accel") on 127.0.0.1:$port"
    fi
    if [ "$wait" = wait ]; then
        started=$(cat "$dir/started")
        vm_wait "$dir" "$name" "$BOOT_TIMEOUT" ssh || exit 4
        local to_ssh
        to_ssh=$(since "$started")
        vm_wait "$dir" "$name" "$BOOT_TIMEOUT" engine || exit 4
        echo "VM $name is up: SSH after ${to_ssh} s, Docker engine after $(since "$started") s" \
            "($(cat "$dir/accel"), 127.0.0.1:$(cat "$dir/port"))."
    else
        echo "VM $name is booting (127.0.0.1:$(cat "$dir/port")); \`$0 status $name\` tells when it is ready."
    fi
    echo "ssh -F $dir/ssh_config $name"
}

cmd_down() {
    local name=$1 dir port
    dir=$(vm_dir "$name")
    if [ ! -d "$dir" ]; then
        echo "No VM $name; nothing to do."
        return
    fi
    port=$(cat "$dir/port" 2>/dev/null || true)
    vm_kill "$dir"
    rm -rf "$dir"
    if [ -n "$port" ] && ! vm_port_free "$port"; then
        vm_die "VM $name is down, but port $port on 127.0.0.1 still listens"
    fi
    echo "VM $name removed (qemu stopped, disk deleted${port:+, port $port free})."
}

# status_of NAME: one line; exit 0 ready, 3 running but not ready, 1 stopped or absent.
status_of() {
    local name=$1 dir pid port
    dir=$(vm_dir "$name")
    if [ ! -d "$dir" ]; then
        echo "$name: no such VM"
        return 1
    fi
    port=$(cat "$dir/port" 2>/dev/null || echo "?")
    if ! pid=$(vm_pid "$dir"); then
        echo "$name: stopped (its disk is kept: \`up $name\` boots it again)"
        return 1
    fi
    local where
    where="pid $pid, $(cat "$dir/accel" 2>/dev/null), 127.0.0.1:$port"
    if ! vm_probe "$dir" "$name" true; then
        echo "$name: booting, SSH does not answer yet ($where)"
        return 3
    fi
    if ! vm_probe "$dir" "$name" "docker version --format '{{.Server.Version}}'"; then
        echo "$name: booting, SSH answers but its Docker engine does not yet ($where)"
        return 3
    fi
    echo "$name: ready ($where)"
}

cmd_status() {
    if [ -n "${1:-}" ]; then
        status_of "$1"
        return
    fi
    local found=0 dir
    for dir in "$VM_STATE"/*/; do
        [ -f "$dir/image" ] || continue
        found=1
        status_of "$(basename "$dir")" || true
    done
    [ "$found" = 1 ] || echo "No lab VMs. Make one: $0 up NAME"
}

cmd_ssh_config() {
    local dir
    dir=$(vm_dir "$1")
    [ -f "$dir/ssh_config" ] || vm_die "no VM $1" "make it with: $0 up $1"
    cat "$dir/ssh_config"
}

# cmd_box: the image as a Vagrant box for vagrant-libvirt (direct kernel boot, the
# image's own key), next to the image; prints its path.
cmd_box() {
    local image box work size
    image=$(readlink -f "$VM_CACHE/images/current" 2>/dev/null || true)
    if [ -z "$image" ] || [ ! -f "$image/complete" ]; then
        image=$(bash "$SCRIPTS/build-vm-image.sh")
    fi
    box=$image/hostnet-lab.box
    if [ ! -f "$box" ]; then
        work=$(mktemp -d "$image/box.XXXXXX")
        cp "$image/disk.qcow2" "$work/box.img"
        cp "$image/vmlinuz" "$image/initrd.img" "$image/id_ed25519" "$work/"
        size=$(qemu-img info --output=json "$work/box.img" |
            sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
        printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %d}\n' \
            $((size / 1024 / 1024 / 1024)) >"$work/metadata.json"
        cat >"$work/Vagrantfile" <<'BOX'
# The docker-hostnet lab image (Debian 12) for vagrant-libvirt. It has no boot
# loader: libvirt boots its kernel directly. Log in as vagrant with the image's key.
box = File.dirname(__FILE__)
Vagrant.configure("2") do |config|
  config.ssh.username = "vagrant"
  config.ssh.private_key_path = File.join(box, "id_ed25519")
  config.ssh.insert_key = false
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(box, "vmlinuz")
    lv.initrd = File.join(box, "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0"
    lv.disk_bus = "virtio"
  end
end
BOX
        # (not compressed: gzip takes half a minute on a 1 GB disk, and a box may be a plain tar)
        tar -C "$work" -cf "$work.box" metadata.json Vagrantfile box.img vmlinuz initrd.img id_ed25519
        mv "$work.box" "$box"
        rm -rf "$work"
    fi
    echo "$box"
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
    build) exec bash "$SCRIPTS/build-vm-image.sh" "$@" ;;
    up)
        [ $# -ge 1 ] || usage
        case "${2:-}" in
            "") cmd_up "$1" wait ;;
            --no-wait) cmd_up "$1" no-wait ;;
            *) usage ;;
        esac
        ;;
    down) [ $# -eq 1 ] || usage; cmd_down "$1" ;;
    status) [ $# -le 1 ] || usage; cmd_status "${1:-}" ;;
    ssh-config) [ $# -eq 1 ] || usage; cmd_ssh_config "$1" ;;
    box) [ $# -eq 0 ] || usage; cmd_box ;;
    -h | --help | help) usage ;;
    *) vm_die "unknown command: $command" "commands: build, up, down, status, ssh-config, box" 2 ;;
esac
