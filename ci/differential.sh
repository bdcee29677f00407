#!/usr/bin/env bash
# Differential leg: live comparison of DL4J against PyTorch run inside a local container.
#  1. installs Debian's docker.io and debootstrap if missing,
#  2. starts dockerd without touching the network (--bridge=none --iptables=false) unless one answers,
#  3. builds or reuses the local reference image (ci/build-reference-image.sh, no registry),
#  4. runs `mvn -B test -Pdifferential`.
# If the engine cannot be provisioned it prints a loud DIFFERENTIAL LEG SKIPPED line and exits 0
# WITHOUT running Maven: the leg is then reported as skipped, never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."

export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
IMAGE="${BN_DOCTOR_TORCH_IMAGE:-bn-doctor/torch-reference:local}"
export BN_DOCTOR_TORCH_IMAGE="$IMAGE"
DOCKERD_LOG="${DOCKERD_LOG:-/var/tmp/bn-doctor-dockerd.log}"
# One line for .ci/run to report: PASSED, FAILED or SKIPPED (with the reason).
STATUS_FILE="${DIFFERENTIAL_STATUS_FILE:-target/differential-leg.status}"
mkdir -p "$(dirname "$STATUS_FILE")"

skip() {
  echo "=================================================================="
  echo "DIFFERENTIAL LEG SKIPPED: $*"
  echo "(the live PyTorch leg did NOT run; this is not a pass)"
  echo "=================================================================="
  echo "SKIPPED: $*" > "$STATUS_FILE"
  exit 0
}

leg_start=$(date +%s)
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if (( ${#need[@]} )); then
  echo "installing ${need[*]}"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; } \
    || skip "could not install ${need[*]} with apt-get"
fi

if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (--bridge=none --iptables=false), log in $DOCKERD_LOG"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 1 "${DOCKERD_WAIT_SECONDS:-60}"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -n 30 "$DOCKERD_LOG" || true; skip "dockerd did not come up (see $DOCKERD_LOG)"; }
fi
echo "docker engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

img_start=$(date +%s)
flock /var/tmp/bn-doctor-reference-image.lock bash ci/build-reference-image.sh || skip "could not build the reference image $IMAGE"
echo "reference image ready in $(( $(date +%s) - img_start )) s"

rm -rf target/surefire-reports
mvn -B test -Pdifferential
rc=$?
# The report must show tests that ran: zero executed tests is not a pass.
executed=$(cat target/surefire-reports/TEST-*.xml 2>/dev/null \
  | grep -o '<testsuite [^>]*' | sed -E 's/.* tests="([0-9]+)".* skipped="([0-9]+)".*/\1 \2/' \
  | awk '{t += $1; s += $2} END {print t - s + 0}')
echo "differential leg: ${executed:-0} test(s) executed (surefire reports in target/surefire-reports)"
if [[ $rc -eq 0 && "${executed:-0}" -eq 0 ]]; then
  echo "DIFFERENTIAL LEG FAILED: Maven passed but no differential test executed"
  rc=1
fi
if [[ $rc -eq 0 ]]; then echo "PASSED: $executed test(s)" > "$STATUS_FILE"; else echo "FAILED: exit $rc" > "$STATUS_FILE"; fi
echo "differential leg finished with exit code $rc in $(( $(date +%s) - leg_start )) s"
exit $rc
