#!/usr/bin/env bash
# Starts, stops and inspects the tinylet lab: a private containerd with the CRI
# plugin, runc, a CNI bridge and a local image registry, run as plain background
# processes with state under /var/lib/tinylet-lab and /run/tinylet-lab.
# Run `lab.sh help` for the commands.
set -Eeuo pipefail

LAB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly LAB_DIR

readonly STATE_DIR=/var/lib/tinylet-lab
readonly RUN_DIR=/run/tinylet-lab
readonly LOG_DIR=$STATE_DIR/log
# The lock lives beside RUN_DIR, not in it, because `down` removes RUN_DIR.
readonly LOCK_FILE=/run/tinylet-lab.lock

readonly SOCKET=$RUN_DIR/containerd.sock
readonly CONTAINERD_CONFIG=$STATE_DIR/containerd.toml
readonly CONTAINERD_ROOT=$STATE_DIR/containerd
readonly CONTAINERD_STATE=$RUN_DIR/containerd
readonly CONTAINERD_PID_FILE=$RUN_DIR/containerd.pid
readonly CONTAINERD_LOG=$LOG_DIR/containerd.log
# Written by a `down` that deleted every container through containerd. Its
# presence means the metadata in CONTAINERD_ROOT lists no stale containers.
readonly CONTAINERD_CLEAN_MARK=$STATE_DIR/containerd.stopped-clean
# Written by `stop-containerd`, which stops containerd but leaves its shims and
# containers running. The next `up` then starts containerd on the same root and
# state, where it finds them again, instead of cleaning up after a crash. It
# lives in RUN_DIR, so a reboot removes it.
readonly CONTAINERD_KEPT_MARK=$RUN_DIR/containerd.stopped-keep
readonly RUNC_ROOT=$RUN_DIR/runc

readonly REGISTRY_ADDRESS=127.0.0.1:5000
readonly REGISTRY_URL=http://$REGISTRY_ADDRESS
readonly REGISTRY_CONFIG=$STATE_DIR/registry.yml
readonly REGISTRY_PID_FILE=$RUN_DIR/registry.pid
readonly REGISTRY_LOG=$LOG_DIR/registry.log

readonly CNI_NETWORK=tinylet-lab
readonly CNI_CONF_DIR=$STATE_DIR/cni
readonly CNI_IPAM_DIR=$RUN_DIR/ipam
# libcni's default cache folder, which containerd 1.6 does not change.
readonly CNI_CACHE_DIR=/var/lib/cni/results
readonly BRIDGE=tinylet0
readonly SUBNET=10.77.0.0/24

readonly START_TIMEOUT_S=30
readonly STOP_TIMEOUT_S=10

readonly REQUIRED_COMMANDS=(containerd ctr runc docker-registry umoci skopeo curl ip ss flock)

log() {
  printf 'lab: %s\n' "$*" >&2
}

die() {
  log "$*"
  exit 1
}

trap 'log "lab.sh failed at line $LINENO: $BASH_COMMAND"' ERR

usage() {
  cat <<EOF
usage: lab.sh COMMAND

Commands:
  up             start the registry and containerd, build missing images;
                 returns at once when the lab already runs
  stop-containerd [--kill]
                 stop containerd alone (SIGTERM, or SIGKILL with --kill)
                 and leave its containers running; the next up starts it
                 again on the same state, as after a runtime restart
  down [--purge] stop the lab and remove its pods, mounts and bridge;
                 --purge also deletes $STATE_DIR (images, registry, logs)
  status         print the state of each part; exits 3 when not running
  env            print export lines for the lab's socket and registry
EOF
}

require_root() {
  [[ $(id -u) -eq 0 ]] || die "lab.sh $1 must run as root (it manages mounts, network devices and iptables)"
}

# Serializes up and down, so two callers never start or stop the lab at once.
take_lock() {
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "timed out after 300 s waiting for $LOCK_FILE, which another lab.sh up or down holds"
}

# --- processes ---------------------------------------------------------------

process_running() {
  local pid=$1 stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The third field is the state. A zombie (Z) has exited and only waits for its parent.
  [[ $(awk '{ print $3 }' <<<"$stat") != Z ]]
}

# Prints the pid stored in PID_FILE when that process still runs and is named
# COMM. The name check guards against a pid reused by an unrelated process.
live_pid() {
  local pid_file=$1 comm=$2 pid
  [[ -r $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
  process_running "$pid" || return 1
  printf '%s\n' "$pid"
}

# Sends SIGTERM to PID and SIGKILL if it still runs after STOP_TIMEOUT_S.
stop_process() {
  local pid=$1 name=$2 ticks=0
  kill -TERM "$pid" 2>/dev/null || return 0
  # A stopped (SIGSTOP) process would not act on SIGTERM until continued.
  kill -CONT "$pid" 2>/dev/null || true

  while process_running "$pid"; do
    if ((ticks == STOP_TIMEOUT_S * 10)); then
      log "$name (pid $pid) still runs ${STOP_TIMEOUT_S}s after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || return 0
    fi
    if ((ticks > STOP_TIMEOUT_S * 20)); then
      log "$name (pid $pid) did not exit after SIGKILL"
      return 1
    fi
    sleep 0.1
    ticks=$((ticks + 1))
  done
}

# Polls COMMAND... every 100 ms until it succeeds. Fails with a message naming
# LOG_FILE when process PID exits first or START_TIMEOUT_S passes.
wait_until() {
  local pid=$1 name=$2 log_file=$3 ticks=0
  shift 3

  until "$@"; do
    process_running "$pid" || die "$name exited during start-up; read $log_file"
    ((ticks < START_TIMEOUT_S * 10)) ||
      die "timed out after ${START_TIMEOUT_S}s waiting for $name to respond; read $log_file"
    sleep 0.1
    ticks=$((ticks + 1))
  done
}

# Starts COMMAND... in the background, detached from this shell's session by
# setsid, with its output appended to LOG_FILE; $! is its pid. Every inherited
# descriptor above 2 is closed first, because a daemon that kept one would hold
# any lock open on it for as long as it runs. Fd 9 is this script's own lock.
# `flock FILE lab.sh up` passes its lock on FILE to lab.sh as well, and a
# containerd that kept it would block every later `flock FILE` until it stops.
start_detached() {
  local log_file=$1
  shift
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then
        eval "exec $fd>&-" 2>/dev/null || true
      fi
    done
    exec setsid "$@" >>"$log_file" 2>&1 </dev/null
  ) &
}

# Keeps the previous run's log as FILE.1, so each log covers one run.
rotate_log() {
  [[ -s $1 ]] && mv -f "$1" "$1.1"
  return 0
}

# --- configuration -------------------------------------------------------------

render_template() {
  sed -e "s|@LAB_STATE_DIR@|$STATE_DIR|g" -e "s|@LAB_RUN_DIR@|$RUN_DIR|g" "$1"
}

# Writes TEXT to FILE through a rename, and only when the content differs, so a
# running containerd never reads a missing or half-written CNI file.
# Returns 0 when FILE changed and 1 when it already held TEXT.
replace_file() {
  local file=$1 text=$2
  if [[ -f $file ]] && [[ $(<"$file") == "$text" ]]; then
    return 1
  fi
  printf '%s\n' "$text" >"$file.new"
  mv -f "$file.new" "$file"
}

registry_config() {
  cat <<EOF
# Generated by lab.sh. Edits are overwritten on the next start.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDRESS
EOF
}

write_cni_config() {
  local text
  text=$(render_template "$LAB_DIR/cni/$CNI_NETWORK.conflist")
  mkdir -p "$CNI_CONF_DIR"
  replace_file "$CNI_CONF_DIR/$CNI_NETWORK.conflist" "$text" || true
}

# --- registry ------------------------------------------------------------------

registry_responds() {
  curl -fsS -o /dev/null --max-time 2 "$REGISTRY_URL/v2/" 2>/dev/null
}

ensure_registry() {
  local pid
  if pid=$(live_pid "$REGISTRY_PID_FILE" docker-registry); then
    if registry_responds; then
      log "registry already running (pid $pid)"
      return 0
    fi
    log "registry (pid $pid) does not respond on $REGISTRY_URL; restarting it"
  fi
  stop_registry

  local port=${REGISTRY_ADDRESS##*:} owner
  owner=$(ss -H -ltnp "sport = :$port" 2>/dev/null | awk '{ print $4, $6 }' | head -n 1)
  [[ -z $owner ]] ||
    die "port $port is already in use ($owner); stop that process, then run lab.sh up again"

  log "starting registry on $REGISTRY_ADDRESS"
  mkdir -p "$STATE_DIR/registry" "$LOG_DIR" "$RUN_DIR"
  replace_file "$REGISTRY_CONFIG" "$(registry_config)" || true
  rotate_log "$REGISTRY_LOG"

  start_detached "$REGISTRY_LOG" docker-registry serve "$REGISTRY_CONFIG"
  pid=$!
  printf '%s\n' "$pid" >"$REGISTRY_PID_FILE"
  wait_until "$pid" "registry" "$REGISTRY_LOG" registry_responds
  log "registry ready (pid $pid)"
}

stop_registry() {
  local pid
  if pid=$(live_pid "$REGISTRY_PID_FILE" docker-registry); then
    log "stopping registry (pid $pid)"
    stop_process "$pid" registry || die "failed to stop the registry (pid $pid); read $REGISTRY_LOG"
  fi
  rm -f "$REGISTRY_PID_FILE"
}

# --- containerd ----------------------------------------------------------------

containerd_responds() {
  [[ -S $SOCKET ]] && timeout 5 ctr --address "$SOCKET" version >/dev/null 2>&1
}

lab_ctr() {
  timeout 60 ctr --address "$SOCKET" "$@"
}

cri_plugin_status() {
  lab_ctr plugins ls 2>/dev/null |
    awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }'
}

ensure_containerd() {
  local pid config
  config=$(render_template "$LAB_DIR/containerd.toml.in")

  if pid=$(live_pid "$CONTAINERD_PID_FILE" containerd); then
    if ! containerd_responds; then
      log "containerd (pid $pid) does not respond on $SOCKET; restarting it"
      pid=""
    fi
  fi

  if [[ -n $pid ]]; then
    if [[ ! -f $CONTAINERD_CONFIG ]] || [[ $(<"$CONTAINERD_CONFIG") != "$config" ]]; then
      log "warning: lab/containerd.toml.in changed after containerd started; run lab.sh down and lab.sh up to apply it"
    fi
    write_cni_config
    log "containerd already running (pid $pid)"
    end_orphaned_shims
    return 0
  fi

  # A hung containerd still runs, so only a containerd that is gone restarts on its state.
  if [[ -f $CONTAINERD_KEPT_MARK ]] && ! live_pid "$CONTAINERD_PID_FILE" containerd >/dev/null; then
    # Removed first: if this start fails, the next up cleans up as after a crash.
    rm -f "$CONTAINERD_KEPT_MARK"
    log "containerd was stopped by stop-containerd; starting it again on its state"
    start_containerd "$config"
    end_orphaned_shims
    return 0
  fi

  # Whatever a previous run left (a hung or crashed containerd, containers,
  # mounts, the bridge) is removed before a new containerd starts.
  clean_containerd
  start_containerd "$config"
}

start_containerd() {
  local config=$1 pid status
  log "starting containerd on $SOCKET"
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$CONTAINERD_ROOT"
  replace_file "$CONTAINERD_CONFIG" "$config" || true
  write_cni_config
  rotate_log "$CONTAINERD_LOG"
  rm -f "$CONTAINERD_CLEAN_MARK"

  start_detached "$CONTAINERD_LOG" containerd --config "$CONTAINERD_CONFIG"
  pid=$!
  printf '%s\n' "$pid" >"$CONTAINERD_PID_FILE"
  wait_until "$pid" "containerd" "$CONTAINERD_LOG" containerd_responds

  status=$(cri_plugin_status)
  [[ $status == ok ]] ||
    die "containerd started but its CRI plugin status is '${status:-missing}'; read $CONTAINERD_LOG"
  log "containerd ready (pid $pid)"
}

# Runs `ctr ARGS...` and treats a "not found" error as success, because the CRI
# plugin deletes a task by itself as soon as the task exits.
ctr_delete() {
  local output
  output=$(lab_ctr "$@" 2>&1) && return 0
  [[ $output == *"not found"* ]] && return 0
  log "ctr ${*} failed: ${output##*$'\n'}"
  return 1
}

# Deletes every task and container in every namespace through containerd.
# Returns 1 when containerd does not respond or a deletion fails.
delete_containers_with_ctr() {
  containerd_responds || return 1

  local namespaces namespace ids id failed=0
  namespaces=$(lab_ctr namespaces ls -q) || return 1
  for namespace in $namespaces; do
    ids=$(lab_ctr -n "$namespace" tasks ls -q) || return 1
    [[ -z $ids ]] || log "killing $(wc -w <<<"$ids") task(s) in namespace $namespace"

    # Every task gets SIGKILL first, so the deletes below do not wait on the
    # tasks one by one.
    for id in $ids; do
      lab_ctr -n "$namespace" tasks kill --all --signal SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $ids; do
      ctr_delete -n "$namespace" tasks delete --force "$id" || failed=1
    done

    ids=$(lab_ctr -n "$namespace" containers ls -q) || return 1
    [[ -z $ids ]] || log "removing $(wc -w <<<"$ids") container(s) in namespace $namespace"
    for id in $ids; do
      ctr_delete -n "$namespace" containers delete "$id" || failed=1
    done
  done
  return "$failed"
}

# Kills the containers still listed in the lab's runc root after containerd is
# gone. Prints how many it found.
kill_containers_with_runc() {
  local found=0 root id
  for root in "$RUNC_ROOT"/*/; do
    [[ -d $root ]] || continue
    for id in $(runc --root "$root" list -q 2>/dev/null); do
      runc --root "$root" kill "$id" KILL >/dev/null 2>&1 || true
      runc --root "$root" delete --force "$id" >/dev/null 2>&1 ||
        log "runc failed to delete container $id (root $root)"
      found=$((found + 1))
    done
  done
  printf '%s\n' "$found"
}

# Prints the pids of containerd-shim-runc-v2 processes started by the lab's
# containerd, found by the -address argument that names the lab's socket.
list_shim_pids() {
  local proc comm arguments
  for proc in /proc/[0-9]*; do
    # /proc/PID/comm is cut to 15 characters: "containerd-shim". The builtin
    # read keeps this loop over every process free of forks.
    read -r comm <"$proc/comm" 2>/dev/null || continue
    [[ $comm == containerd-shim* ]] || continue
    arguments=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
    [[ " $arguments" == *" -address $SOCKET "* ]] || continue
    printf '%s\n' "${proc#/proc/}"
  done
}

# Kills the lab's CRI shims whose -id names no container in containerd's
# metadata, with their child processes, and prints how many. A containerd that
# stops while it creates a sandbox can leave a shim it never recorded, with a
# `runc init` child that will never be started. containerd started again on its state
# does not load it, and once the sandbox is removed nothing else would end it,
# so every `up` looks for such shims. The shims are listed before the
# containers, because containerd records a container before it starts its shim.
# A shim started in between is therefore found in the list.
kill_orphaned_shims() {
  local pids known pid arguments id child killed=0
  pids=$(list_shim_pids)
  if [[ -z $pids ]] || ! known=$(lab_ctr -n k8s.io containers ls -q); then
    printf '0\n'
    return 0
  fi
  for pid in $pids; do
    arguments=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    [[ " $arguments" == *" -namespace k8s.io "* && " $arguments" == *" -id "* ]] || continue
    id=${arguments##* -id }
    id=${id%% *}
    [[ -n $id ]] && ! grep -qxF -- "$id" <<<"$known" || continue
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      kill -KILL "$child" 2>/dev/null || true
    done
    kill -KILL "$pid" 2>/dev/null || true
    killed=$((killed + 1))
  done
  printf '%s\n' "$killed"
}

end_orphaned_shims() {
  local killed
  killed=$(kill_orphaned_shims)
  ((killed == 0)) || log "killed $killed shim process(es) that served no container containerd knows"
}

# Stops the lab's shims and removes their sockets. A shim whose tasks were all
# deleted exits by itself, so with GRACE=true the shims get 2 s before SIGKILL.
# Prints how many needed SIGKILL.
kill_shims() {
  local grace=$1 pids pid ticks=0 killed=0 address_file address
  pids=$(list_shim_pids)
  while [[ $grace == true && -n $pids ]] && ((ticks < 20)); do
    sleep 0.1
    ticks=$((ticks + 1))
    pids=$(list_shim_pids)
  done
  for pid in $pids; do
    kill -KILL "$pid" 2>/dev/null || true
    killed=$((killed + 1))
  done

  # containerd 1.6 puts shim sockets in /run/containerd/s whatever its state
  # folder is. A shim that got SIGKILL leaves its socket there.
  for address_file in "$CONTAINERD_STATE"/io.containerd.runtime.v2.task/*/*/address; do
    [[ -f $address_file ]] || continue
    address=$(<"$address_file")
    address=${address#unix://}
    [[ $address == /run/containerd/s/* ]] && rm -f "$address"
  done
  printf '%s\n' "$killed"
}

# Unmounts everything under RUN_DIR and STATE_DIR: container root file systems,
# sandbox /dev/shm and network namespace files. Deepest paths go first.
unmount_lab_mounts() {
  local mount_point
  awk -v run="$RUN_DIR/" -v state="$STATE_DIR/" \
    'index($5, run) == 1 || index($5, state) == 1 { print $5 }' /proc/self/mountinfo |
    sort -r |
    while IFS= read -r mount_point; do
      umount "$mount_point" 2>/dev/null ||
        umount --lazy "$mount_point" 2>/dev/null ||
        log "failed to unmount $mount_point"
    done
}

# Removes the NAT rules and chains that the portmap plugin added for hostPorts
# of this network. portmap tags each jump in CNI-HOSTPORT-DNAT with a comment
# naming the network and sends it to one CNI-DN-* chain per sandbox.
remove_portmap_rules() {
  command -v iptables-save >/dev/null || return 0

  local rules chains chain
  rules=$(iptables-save -t nat 2>/dev/null |
    grep -F -e '-A CNI-HOSTPORT-DNAT ' | grep -F "name: \\\"$CNI_NETWORK\\\"") || return 0
  chains=$(grep -oE -e '-j CNI-DN-[0-9a-f]+' <<<"$rules" | awk '{ print $2 }' | sort -u)
  log "removing hostPort rules of $(wc -l <<<"$chains") sandbox(es)"

  # iptables-restore --noflush applies the deletions as one batch and parses
  # the quoted comments exactly as iptables-save wrote them.
  {
    printf '*nat\n'
    sed -e 's/^-A /-D /' <<<"$rules"
    for chain in $chains; do
      printf -- '-F %s\n-X %s\n' "$chain" "$chain"
    done
    printf 'COMMIT\n'
  } | iptables-restore --noflush ||
    log "failed to remove the hostPort rules of network $CNI_NETWORK; inspect them with iptables-save -t nat"
}

# Prints the ids of the sandboxes the CRI plugin created, from the folders it
# keeps per sandbox in containerd's root and state.
list_sandbox_ids() {
  local folder
  for folder in "$CONTAINERD_ROOT"/io.containerd.grpc.v1.cri/sandboxes/*/ \
    "$CONTAINERD_STATE"/io.containerd.grpc.v1.cri/sandboxes/*/; do
    if [[ -d $folder ]]; then
      basename "$folder"
    fi
  done | sort -u
}

# Removes the bridge, hostPort rules, IP allocations and libcni result caches.
# SANDBOX_IDS... name the sandboxes whose loopback caches are removed too,
# because those file names carry no network name.
remove_network() {
  local id
  remove_portmap_rules
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "deleting bridge $BRIDGE"
    ip link delete "$BRIDGE" || log "failed to delete bridge $BRIDGE"
  fi
  rm -rf "$CNI_IPAM_DIR"
  rm -f "$CNI_CACHE_DIR/$CNI_NETWORK"-*
  for id in "$@"; do
    rm -f "$CNI_CACHE_DIR/cni-loopback-$id-"*
  done
}

# Stops the lab's containerd and removes everything it ran: tasks, containers,
# shims, mounts, the CNI bridge, hostPort rules and IP allocations. Works when
# containerd responds, hangs or is already gone.
clean_containerd() {
  local pid deleted_with_ctr=false leftovers sandbox_ids

  # Read before the deletions below remove the folders that name them.
  mapfile -t sandbox_ids < <(list_sandbox_ids)

  if delete_containers_with_ctr; then
    deleted_with_ctr=true
  fi

  if pid=$(live_pid "$CONTAINERD_PID_FILE" containerd); then
    log "stopping containerd (pid $pid)"
    stop_process "$pid" containerd ||
      die "failed to stop containerd (pid $pid); read $CONTAINERD_LOG"
  fi

  leftovers=$(kill_containers_with_runc)
  ((leftovers == 0)) || log "killed $leftovers container(s) that containerd no longer managed"
  leftovers=$(kill_shims "$deleted_with_ctr")
  ((leftovers == 0)) || log "killed $leftovers leftover shim process(es)"

  unmount_lab_mounts
  remove_network "${sandbox_ids[@]}"

  if [[ $deleted_with_ctr == true ]]; then
    # containerd deleted the containers, but the CRI plugin keeps per-sandbox
    # and per-container folders that only RemovePodSandbox would delete.
    rm -rf "$CONTAINERD_ROOT/io.containerd.grpc.v1.cri/sandboxes" \
      "$CONTAINERD_ROOT/io.containerd.grpc.v1.cri/containers"
    [[ ! -d $CONTAINERD_ROOT ]] || touch "$CONTAINERD_CLEAN_MARK"
  elif [[ -d $CONTAINERD_ROOT && ! -f $CONTAINERD_CLEAN_MARK ]]; then
    # Without a responding containerd the metadata database may still list
    # containers, which the CRI plugin would report as dead sandboxes.
    log "removing $CONTAINERD_ROOT because containerd did not delete its containers; images are pulled again on use"
    rm -rf "$CONTAINERD_ROOT"
  fi

  rm -rf "$CONTAINERD_STATE" "$RUNC_ROOT"
  rm -f "$CONTAINERD_PID_FILE" "$SOCKET" "$SOCKET.ttrpc" "$CONTAINERD_KEPT_MARK"
}

# --- commands ------------------------------------------------------------------

ensure_packages() {
  local command missing=()
  for command in "${REQUIRED_COMMANDS[@]}"; do
    command -v "$command" >/dev/null || missing+=("$command")
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/portmap ]] || missing+=(/usr/lib/cni/bridge)
  [[ ${#missing[@]} -eq 0 ]] && return 0

  log "missing ${missing[*]}; running lab/install-deps.sh"
  bash "$LAB_DIR/install-deps.sh" || die "lab/install-deps.sh failed; see the apt-get output above"
}

# Fails when a command that takes no arguments got some.
reject_arguments() {
  local command=$1
  shift
  [[ $# -eq 0 ]] || die "$command: unexpected argument '$1'; run lab.sh help"
}

command_up() {
  reject_arguments up "$@"
  require_root up
  ensure_packages
  take_lock
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"

  ensure_registry
  ensure_containerd
  bash "$LAB_DIR/build-images.sh" ||
    die "building or pushing the lab images failed; read the messages above and $REGISTRY_LOG"

  log "lab is up; CRI socket: $SOCKET"
}

command_down() {
  local purge=false
  case ${1:-} in
    '') ;;
    --purge) purge=true ;;
    *) die "down: unknown option '$1'; the only option is --purge" ;;
  esac
  require_root down
  take_lock

  clean_containerd
  stop_registry
  rm -rf "$RUN_DIR"

  if [[ $purge == true ]]; then
    unmount_lab_mounts
    log "deleting $STATE_DIR"
    rm -rf "$STATE_DIR"
  fi
  log "lab is down"
}

# Prints the state of a component: running, not-responding (its process runs
# but does not respond) or stopped.
component_state() {
  local pid=$1 responds=$2
  if [[ -z $pid ]]; then
    printf 'stopped\n'
  elif [[ $responds == true ]]; then
    printf 'running\n'
  else
    printf 'not-responding\n'
  fi
}

# Stops containerd without touching its shims or containers, the way a runtime
# upgrade or crash does, and marks it for `up` to start again on its state.
command_stop_containerd() {
  local signal=TERM pid ticks=0
  case ${1:-} in
    '') ;;
    --kill) signal=KILL ;;
    *) die "stop-containerd: unknown option '$1'; the only option is --kill" ;;
  esac
  require_root stop-containerd
  take_lock

  pid=$(live_pid "$CONTAINERD_PID_FILE" containerd) ||
    die "containerd is not running, so there is nothing to stop; run lab.sh up"
  touch "$CONTAINERD_KEPT_MARK"
  log "stopping containerd (pid $pid) with SIG$signal; its containers keep running"
  if [[ $signal == TERM ]]; then
    stop_process "$pid" containerd || die "failed to stop containerd (pid $pid); read $CONTAINERD_LOG"
    return 0
  fi

  kill -KILL "$pid" 2>/dev/null || true
  while process_running "$pid"; do
    ((ticks < STOP_TIMEOUT_S * 10)) || die "containerd (pid $pid) did not exit after SIGKILL"
    sleep 0.1
    ticks=$((ticks + 1))
  done
}

command_status() {
  reject_arguments status "$@"
  require_root status
  local registry_pid containerd_pid registry_state containerd_state responds

  registry_pid=$(live_pid "$REGISTRY_PID_FILE" docker-registry) || true
  responds=false
  [[ -z $registry_pid ]] || ! registry_responds || responds=true
  registry_state=$(component_state "$registry_pid" "$responds")

  containerd_pid=$(live_pid "$CONTAINERD_PID_FILE" containerd) || true
  responds=false
  [[ -z $containerd_pid ]] || ! containerd_responds || responds=true
  containerd_state=$(component_state "$containerd_pid" "$responds")

  printf '%-11s %-15s %-8s %s\n' COMPONENT STATE PID ADDRESS
  printf '%-11s %-15s %-8s %s\n' registry "$registry_state" "${registry_pid:--}" "$REGISTRY_URL"
  printf '%-11s %-15s %-8s %s\n' containerd "$containerd_state" "${containerd_pid:--}" "$SOCKET"

  if [[ $containerd_state == running ]]; then
    local sandboxes containers
    sandboxes=$(lab_ctr -n k8s.io containers ls -q 'labels."io.cri-containerd.kind"==sandbox' | wc -l)
    containers=$(lab_ctr -n k8s.io containers ls -q 'labels."io.cri-containerd.kind"==container' | wc -l)
    printf '\nCRI plugin: %s; %d sandbox(es), %d container(s)\n' \
      "$(cri_plugin_status)" "$sandboxes" "$containers"
  fi
  printf 'logs: %s %s\n' "$CONTAINERD_LOG" "$REGISTRY_LOG"
  [[ $registry_state == running && $containerd_state == running ]] || exit 3
}

command_env() {
  reject_arguments env "$@"
  printf 'export TINYLET_SOCKET=%s\n' "$SOCKET"
  printf 'export TINYLET_LAB_REGISTRY=%s\n' "localhost:${REGISTRY_ADDRESS##*:}"
  printf 'export TINYLET_LAB_SUBNET=%s\n' "$SUBNET"
}

main() {
  if [[ $# -eq 0 ]]; then
    usage >&2
    exit 2
  fi
  local command=$1
  shift

  case $command in
    up) command_up "$@" ;;
    down) command_down "$@" ;;
    stop-containerd) command_stop_containerd "$@" ;;
    status) command_status "$@" ;;
    env) command_env "$@" ;;
    help | -h | --help) usage ;;
    *)
      log "unknown command '$command'; expected one of: up, down, stop-containerd, status, env"
      exit 2
      ;;
  esac
}

main "$@"
