#!/usr/bin/env bash
# Builds the local PyTorch reference image for the differential leg WITHOUT any container registry:
# debootstrap a minimal Debian (same release and mirror as the host's apt sources) that holds
# Debian's python3-torch, then `docker import` the folder as an image.
# Idempotent: if the image already exists it is reused (set REBUILD=1 to force a rebuild).
set -euo pipefail

IMAGE="${BN_DOCTOR_TORCH_IMAGE:-bn-doctor/torch-reference:local}"
ROOTFS="${ROOTFS_DIR:-/var/tmp/bn-doctor-torch-rootfs}"

if [[ "${REBUILD:-0}" != "1" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "reference image $IMAGE already present: reusing it"
  exit 0
fi

command -v debootstrap >/dev/null || { apt-get update -q && apt-get install -y -q debootstrap; }

# Same suite and mirror as the host's configured apt sources (no other host is reachable).
SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
MIRROR="$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | grep -o -E 'https?://[^ ]*/debian/?' | grep -v security | head -n1 || true)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
echo "debootstrap $SUITE from $MIRROR into $ROOTFS"

start=$(date +%s)
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"
debootstrap --variant=minbase --include=python3-torch,python3-numpy "$SUITE" "$ROOTFS" "$MIRROR"
# Trim what the generator never needs, to keep the image smaller.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
       "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
chroot "$ROOTFS" /usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'

tar -C "$ROOTFS" -c . | docker import \
  --change 'WORKDIR /work' \
  --change 'CMD ["/usr/bin/python3", "--version"]' \
  - "$IMAGE"
rm -rf "$ROOTFS"
echo "built $IMAGE in $(( $(date +%s) - start )) s"
