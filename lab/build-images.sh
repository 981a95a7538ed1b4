#!/usr/bin/env bash
# Builds the lab's two images offline with umoci and pushes them with skopeo to
# the lab registry on 127.0.0.1:5000:
#   localhost:5000/busybox:latest and :1.36  static busybox with every applet
#                                            linked in /bin, PATH=/bin, cmd sh
#   localhost:5000/pause:latest              /catatonit -P as the sandbox init
# An image whose tags are all in the registry is skipped. A built OCI layout is
# kept under /var/lib/tinylet-lab/images, so a registry wiped without the
# layouts only needs a push. The registry must already run (lab.sh up starts it).
set -Eeuo pipefail

readonly STATE_DIR=/var/lib/tinylet-lab
readonly IMAGES_DIR=$STATE_DIR/images
readonly REGISTRY_URL=http://127.0.0.1:5000
readonly REGISTRY_NAME=localhost:5000
readonly POLICY_FILE=$IMAGES_DIR/policy.json

# NOTE: Debian 12's busybox-static is 1.35. The 1.36 tag is a fixed name for
# manifests that pin a tag, not the version of the binary inside.
readonly BUSYBOX_TAGS=(latest 1.36)
readonly PAUSE_TAGS=(latest)

log() {
  printf 'lab: %s\n' "$*" >&2
}

die() {
  log "$*"
  exit 1
}

trap 'log "build-images failed at line $LINENO: $BASH_COMMAND"' ERR

# Prints the installed path of FILE_NAME from Debian package PACKAGE.
package_file() {
  local package=$1 file_name=$2 path
  path=$(dpkg-query -L "$package" 2>/dev/null | grep -m1 "/$file_name\$") ||
    die "package $package is not installed or has no $file_name; run lab/install-deps.sh"
  printf '%s\n' "$path"
}

# Fails unless BINARY is statically linked, because the images hold no libc.
require_static() {
  local binary=$1
  if LC_ALL=C ldd "$binary" >/dev/null 2>&1; then
    die "$binary is dynamically linked; the images need a static binary"
  fi
}

registry_has() {
  local name=$1 tag=$2
  curl -fsS -o /dev/null --max-time 5 -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "$REGISTRY_URL/v2/$name/manifests/$tag" 2>/dev/null
}

layout_has() {
  local layout=$1 tag=$2
  [[ -f $layout/index.json ]] && umoci ls --layout "$layout" 2>/dev/null | grep -qxF "$tag"
}

# Creates a fresh layout with one empty image tagged "latest" and unpacks it to
# BUNDLE. The caller fills BUNDLE/rootfs and then calls finish_layout.
start_layout() {
  local layout=$1 bundle=$2
  umoci init --layout "$layout"
  umoci new --image "$layout:latest"
  umoci unpack --image "$layout:latest" "$bundle"
}

# Repacks BUNDLE as the image's only layer and drops unreferenced blobs.
finish_layout() {
  local layout=$1 bundle=$2
  umoci repack --image "$layout:latest" "$bundle"
  umoci gc --layout "$layout"
}

fill_busybox_rootfs() {
  local rootfs=$1 busybox=$2 applet

  mkdir -p "$rootfs"/{bin,etc,root,home/app,var/www,tmp,proc,sys,dev,run}
  chmod 1777 "$rootfs/tmp"
  chmod 0700 "$rootfs/root"
  install -m 0755 "$busybox" "$rootfs/bin/busybox"

  # Applets are relative symlinks, so each one resolves inside the image.
  while IFS= read -r applet; do
    [[ -n $applet && $applet != busybox ]] || continue
    ln -sf busybox "$rootfs/bin/$applet"
  done < <("$busybox" --list)
  [[ -L $rootfs/bin/sh && -L $rootfs/bin/httpd ]] ||
    die "$busybox --list lacks sh or httpd; the busybox image needs both"

  cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nobody:x:65534:
EOF
  chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
  chown 1000:1000 "$rootfs/home/app"

  cat >"$rootfs/var/www/index.html" <<'EOF'
<!doctype html>
<title>tinylet lab</title>
<p>served by busybox httpd from the tinylet lab image</p>
EOF
  chmod 0644 "$rootfs/var/www/index.html"
}

build_busybox() {
  local layout=$1 work=$2 busybox
  busybox=$(package_file busybox-static busybox)
  require_static "$busybox"

  start_layout "$layout" "$work/bundle"
  fill_busybox_rootfs "$work/bundle/rootfs" "$busybox"
  finish_layout "$layout" "$work/bundle"

  umoci config --image "$layout:latest" \
    --config.env PATH=/bin \
    --config.cmd sh \
    --config.workingdir / \
    --history.comment "tinylet lab: busybox from $busybox"
  umoci gc --layout "$layout"
}

build_pause() {
  local layout=$1 work=$2 catatonit
  catatonit=$(package_file catatonit catatonit)
  require_static "$catatonit"

  start_layout "$layout" "$work/bundle"
  install -m 0755 "$catatonit" "$work/bundle/rootfs/catatonit"
  finish_layout "$layout" "$work/bundle"

  # -P makes catatonit a pause process: it reaps children and waits for a signal.
  umoci config --image "$layout:latest" \
    --config.entrypoint /catatonit \
    --config.entrypoint -P \
    --history.comment "tinylet lab: pause from $catatonit"
  umoci gc --layout "$layout"
}

# Builds image NAME when its layout lacks it and pushes the TAGS... missing from
# the registry. BUILD names the function that fills a fresh layout.
ensure_image() {
  local name=$1 build=$2
  shift 2
  local tags=("$@") missing=() tag

  for tag in "${tags[@]}"; do
    registry_has "$name" "$tag" || missing+=("$tag")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "image $REGISTRY_NAME/$name already in the registry (${tags[*]})"
    return 0
  fi

  local layout=$IMAGES_DIR/$name
  if ! layout_has "$layout" latest; then
    log "building image $name with umoci"
    local work
    work=$(mktemp -d "$IMAGES_DIR/.build-$name.XXXXXX")
    # The layout is built beside its final place and renamed when complete,
    # so an interrupted build never leaves a half-written layout behind.
    "$build" "$work/layout" "$work"
    rm -rf "$layout"
    mv "$work/layout" "$layout"
    rm -rf "$work"
  fi

  for tag in "${missing[@]}"; do
    log "pushing $REGISTRY_NAME/$name:$tag"
    skopeo --policy "$POLICY_FILE" copy --quiet --dest-tls-verify=false \
      "oci:$layout:latest" "docker://$REGISTRY_NAME/$name:$tag" >&2 ||
      die "skopeo failed to push $name:$tag to $REGISTRY_URL; read $STATE_DIR/log/registry.log"
  done
}

main() {
  [[ $(id -u) -eq 0 ]] || die "build-images must run as root (it sets file owners in the images)"
  curl -fsS -o /dev/null --max-time 5 "$REGISTRY_URL/v2/" ||
    die "the lab registry does not respond on $REGISTRY_URL; run lab/lab.sh up first"

  mkdir -p "$IMAGES_DIR"
  rm -rf "$IMAGES_DIR"/.build-*
  # skopeo rejects a copy without a signature policy. This one accepts any
  # image, which is fine for images built here and pushed to loopback only.
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$POLICY_FILE"

  ensure_image busybox build_busybox "${BUSYBOX_TAGS[@]}"
  ensure_image pause build_pause "${PAUSE_TAGS[@]}"
}

main "$@"
