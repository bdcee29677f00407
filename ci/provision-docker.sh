#!/usr/bin/env bash
# Provisions what the differential leg needs, ahead of it: Debian's docker.io and debootstrap,
# a dockerd that touches no network (--bridge=none --iptables=false), and the local PyTorch
# reference image (ci/build-reference-image.sh, no registry). Idempotent: each step is skipped when
# its result is already there. .ci/run starts it in the background after its own apt step, so the
# image is built while the Maven legs run; ci/differential.sh runs the same steps again (no-ops by
# then) and skips the leg loudly if any of them failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
DOCKERD_LOG="${DOCKERD_LOG:-/var/tmp/bn-doctor-dockerd.log}"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if (( ${#need[@]} )); then
  echo "installing ${need[*]}"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; } \
    || { echo "PROVISION FAILED: could not install ${need[*]} with apt-get"; exit 1; }
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (--bridge=none --iptables=false), log in $DOCKERD_LOG"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 1 "${DOCKERD_WAIT_SECONDS:-60}"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" || true; echo "PROVISION FAILED: dockerd did not come up"; exit 1; }
fi
echo "docker engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

img_start=$(date +%s)
flock /var/tmp/bn-doctor-reference-image.lock bash ci/build-reference-image.sh \
  || { echo "PROVISION FAILED: could not build the reference image"; exit 1; }
echo "reference image ready in $(( $(date +%s) - img_start )) s"
