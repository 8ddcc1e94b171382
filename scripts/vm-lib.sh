# shellcheck shell=bash
# Booting lab VMs with qemu: shared by scripts/vm-lab.sh and scripts/build-vm-image.sh
# (sourced, not run). Linux, as root.
#
# A VM boots Debian's kernel directly (-kernel/-initrd) with its root disk on
# virtio; it is reached over qemu's user-mode network, whose only way in is a
# port forwarded on 127.0.0.1 to the guest's sshd. `restrict=on` keeps the
# guest from sending anything anywhere else (VM_OUTBOUND=1 lifts that, e.g. for
# `docker pull` on a host with a registry).

# shellcheck disable=SC2034 # (used by the scripts that source this file)
VM_CACHE=${HOSTNET_VM_CACHE:-/var/cache/docker-hostnet/vm} # images, keyed by their inputs
VM_STATE=${HOSTNET_VM_DIR:-/var/lib/docker-hostnet/vms}    # one folder per VM (its disk overlay)
VM_RUN=/run/docker-hostnet/vms                             # locks, the accelerator probe
VM_PORT_BASE=${VM_PORT_BASE:-2222}                         # first forwarded SSH port tried
VM_MEMORY=${VM_MEMORY:-1024}                               # MiB per VM
VM_CPUS=${VM_CPUS:-1}
VM_USER=vagrant # the login user, as in Vagrant boxes (scripts/provision-lab.sh knows it)
QEMU=${QEMU:-qemu-system-x86_64}

vm_say() { printf '==> %s\n' "$*" >&2; }
vm_die() {
    echo "error: $1" >&2
    [ -z "${2:-}" ] || echo "hint: $2" >&2
    exit "${3:-1}"
}

# vm_accel KERNEL INITRD: "kvm" when a Linux guest really boots with KVM here,
# else "tcg" (pure emulation). A Linux guest, not a trivial one: on some nested
# hosts /dev/kvm opens and tiny guests run, yet the kernel hangs right after its
# decompressor, or qemu aborts on an MSR with -cpu host. The probe boots the
# lab's own kernel until it starts the initramfs' /init (at most 20 s), and its
# answer is kept in /run until the host reboots. VM_ACCEL=kvm|tcg decides instead.
vm_accel() {
    local kernel=$1 initrd=$2
    if [ -n "${VM_ACCEL:-}" ]; then
        echo "$VM_ACCEL"
        return
    fi
    local sum answer
    sum=$(cksum <"$kernel" | cut -d' ' -f1)
    answer=$VM_RUN/accel.$sum
    if [ -f "$answer" ]; then
        cat "$answer"
        return
    fi
    mkdir -p "$VM_RUN"
    local result=tcg
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        local log pid
        log=$(mktemp)
        "$QEMU" -accel kvm -cpu host -m 256 -nodefaults -display none -no-reboot \
            -kernel "$kernel" -initrd "$initrd" -serial "file:$log" \
            -append "console=ttyS0 panic=-1 root=/dev/nonexistent" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 40); do
            if grep -q "Run /init as init process" "$log" 2>/dev/null; then
                result=kvm
                break
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        rm -f "$log"
    fi
    echo "$result" >"$answer"
    echo "$result"
}

vm_accel_args() { # vm_accel_args kvm|tcg
    if [ "$1" = kvm ]; then
        echo "-accel kvm -cpu host"
    else
        echo "-accel tcg -cpu max"
    fi
}

# vm_port_free PORT: nothing listens on it (any address).
vm_port_free() {
    [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# vm_boot DISK KERNEL INITRD PORT DIR: start qemu in the background (its pid in
# DIR/qemu.pid, the guest's console in DIR/console.log). Returns once qemu has
# bound the forwarded port, or fails (e.g. the port was taken meanwhile).
vm_boot() ( # a subshell: it closes fds, then becomes qemu (which daemonizes)
    local disk=$1 kernel=$2 initrd=$3 port=$4 dir=$5
    local accel net
    accel=$(vm_accel "$kernel" "$initrd")
    net="user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22"
    [ "${VM_OUTBOUND:-0}" = 1 ] || net="$net,restrict=on"
    echo "$accel" >"$dir/accel"
    # qemu outlives this script: it must not inherit our lock files (a lock
    # held by a running VM would block every other VM's start), nor any other fd.
    local fd
    for fd in "/proc/$BASHPID/fd/"*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ]; then
            eval "exec $fd>&-" 2>/dev/null || true
        fi
    done
    # shellcheck disable=SC2046 # the accelerator's words split on purpose
    exec "$QEMU" -name "hostnet-lab,process=hostnet-vm-$(basename "$dir")" \
        $(vm_accel_args "$accel") -smp "$VM_CPUS" -m "$VM_MEMORY" \
        -nodefaults -display none -vga none \
        -kernel "$kernel" -initrd "$initrd" \
        -append "root=/dev/vda rw console=ttyS0 quiet" \
        -drive "file=$disk,if=virtio,format=qcow2,discard=unmap" \
        -netdev "$net" -device virtio-net-pci,netdev=net0,romfile= \
        -device virtio-rng-pci \
        -serial "file:$dir/console.log" \
        -pidfile "$dir/qemu.pid" -daemonize 2>"$dir/qemu.err"
)

# vm_pid DIR: the pid of the VM's qemu if it is alive (not a zombie).
vm_pid() {
    local pid state
    pid=$(cat "$1/qemu.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] || return 1
    grep -qaF "$1/qemu.pid" "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

# vm_kill DIR: stop the VM's qemu (SIGTERM, then SIGKILL) and wait until it is gone.
vm_kill() {
    local pid
    pid=$(vm_pid "$1") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        vm_pid "$1" >/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        vm_pid "$1" >/dev/null || return 0
        sleep 0.1
    done
    vm_die "qemu $pid of $1 does not stop"
}

# vm_write_ssh_config NAME PORT KEY HOSTKEY DIR: DIR/ssh_config (vagrant ssh-config
# style, host key pinned) and DIR/known_hosts.
vm_write_ssh_config() {
    local name=$1 port=$2 key=$3 hostkey=$4 dir=$5
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$hostkey")" >"$dir/known_hosts"
    cat >"$dir/ssh_config" <<EOF
Host $name
  HostName 127.0.0.1
  User $VM_USER
  Port $port
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
  PasswordAuthentication no
  IdentityFile $key
  IdentitiesOnly yes
  LogLevel FATAL
EOF
}

# vm_ssh DIR NAME COMMAND...: run a command on the VM (batch mode, 5 s to connect).
vm_ssh() {
    local dir=$1 name=$2
    shift 2
    ssh -F "$dir/ssh_config" -o BatchMode=yes -o ConnectTimeout=5 "$name" "$@"
}

# vm_probe DIR NAME COMMAND: vm_ssh within 15 s in all, silent: a VM that takes
# the connection but does not answer (booting, or too slow) fails it in bounded time.
vm_probe() {
    timeout -k 2 15 ssh -F "$1/ssh_config" -o BatchMode=yes -o ConnectTimeout=5 "$2" "$3" \
        </dev/null >/dev/null 2>&1
}

# vm_wait DIR NAME TIMEOUT WHAT: wait until the VM answers SSH (WHAT=ssh), or its
# Docker engine answers the login user too (engine), or root (root-engine: before
# provisioning puts the user in the docker group). Fails if qemu exits.
vm_wait() {
    local dir=$1 name=$2 timeout=$3 what=$4
    local deadline=$((SECONDS + timeout)) probe=true
    case "$what" in
        engine) probe="docker version --format '{{.Server.Version}}'" ;;
        root-engine) probe="sudo -n docker version --format '{{.Server.Version}}'" ;;
    esac
    while [ "$SECONDS" -lt "$deadline" ]; do
        vm_pid "$dir" >/dev/null || {
            echo "error: the VM $name stopped while booting; its console:" >&2
            tail -n 15 "$dir/console.log" >&2 2>/dev/null || true
            return 1
        }
        if vm_probe "$dir" "$name" "$probe"; then
            return 0
        fi
        sleep 1
    done
    echo "error: the VM $name did not answer ($what) within ${timeout}s; its console:" >&2
    tail -n 15 "$dir/console.log" >&2 2>/dev/null || true
    return 1
}

# vm_lock_ports: hold the port lock (fd in VM_PORT_LOCK) until vm_unlock_ports,
# so that two VMs starting at once cannot pick the same port.
vm_lock_ports() {
    mkdir -p "$VM_RUN"
    exec {VM_PORT_LOCK}>"$VM_RUN/ports.lock"
    flock -w 120 "$VM_PORT_LOCK" || vm_die "another VM has been starting for 2 minutes ($VM_RUN/ports.lock)"
}
vm_unlock_ports() { exec {VM_PORT_LOCK}>&-; }

# vm_pick_port [PREFERRED]: a free port for SSH on 127.0.0.1, PREFERRED if it is
# free, else the first from VM_PORT_BASE that is free and recorded by no other VM.
vm_pick_port() {
    local preferred=${1:-} port taken
    if [ -n "$preferred" ] && vm_port_free "$preferred"; then
        echo "$preferred"
        return
    fi
    taken=" $(cat "$VM_STATE"/*/port 2>/dev/null | tr '\n' ' ') "
    for port in $(seq "$VM_PORT_BASE" $((VM_PORT_BASE + 500))); do
        case "$taken" in *" $port "*) continue ;; esac
        if vm_port_free "$port"; then
            echo "$port"
            return
        fi
    done
    vm_die "no free port from $VM_PORT_BASE to $((VM_PORT_BASE + 500)) on 127.0.0.1" \
        "set VM_PORT_BASE to another range"
}
