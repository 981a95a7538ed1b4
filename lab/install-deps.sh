#!/usr/bin/env bash
# Installs the Debian packages the lab needs, skipping those already installed.
# Package maintainer scripts are kept from starting services (containerd.service
# in particular) through a temporary policy-rc.d, because the lab runs its own
# containerd and must not depend on or collide with the system one.
set -euo pipefail

readonly PACKAGES=(
  containerd
  runc
  containernetworking-plugins
  docker-registry
  umoci
  skopeo
  busybox-static
  catatonit
  iproute2
  curl
)
readonly POLICY_RC_D=/usr/sbin/policy-rc.d

log() {
  printf 'lab: %s\n' "$*" >&2
}

is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
  [[ $status == installed ]]
}

remove_policy() {
  rm -f "$POLICY_RC_D"
}

main() {
  if [[ $(id -u) -ne 0 ]]; then
    log "install-deps must run as root (apt-get installs packages)"
    exit 1
  fi

  local missing=()
  local package
  for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
  done

  if [[ ${#missing[@]} -eq 0 ]]; then
    log "all packages already installed"
    return 0
  fi
  log "installing: ${missing[*]}"

  # Exit code 101 from policy-rc.d makes invoke-rc.d skip starting services.
  # An existing policy file belongs to the machine and is left untouched.
  if [[ ! -e $POLICY_RC_D ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D"
    chmod 755 "$POLICY_RC_D"
    trap remove_policy EXIT
  fi

  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq; then
    log "apt-get update failed; check the package mirrors in /etc/apt/sources.list*"
    exit 1
  fi
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    log "apt-get install failed for: ${missing[*]}"
    exit 1
  fi
  log "installed: ${missing[*]}"

  # Debian enables docker-registry.service, which listens on :5000 from the
  # next boot on and would take the lab registry's port. The system containerd
  # uses its own socket, so its unit is left as Debian set it.
  if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --quiet docker-registry.service ||
      log "failed to disable docker-registry.service; while it runs, the lab registry cannot use port 5000"
  fi
}

main "$@"
