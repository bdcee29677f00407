#!/usr/bin/env bash
# GPU gate for bn-doctor: run on a CI runner with an NVIDIA GPU, its driver and the CUDA 11.6
# runtime (libcublas.so.11, libcusolver.so.11 on the library path, e.g. /usr/local/cuda-11.6/lib64).
# Runs `mvn -Pcuda test`: CudaBackendGuardTest + all gpu- and regression-tagged tests on ND4J CUDA.
# Exits non-zero when there is no GPU, when ND4J does not run on CUDA, or when any test fails.
# Extra arguments go to Maven, e.g. ci/gpu-gate.sh -Dtest=CudaBackendGuardTest
set -euo pipefail

cd "$(dirname "$0")/.."

fail() { echo "gpu-gate: FAIL: $*" >&2; exit 1; }

command -v nvidia-smi >/dev/null 2>&1 \
  || fail "nvidia-smi not found: this runner has no NVIDIA driver, so the cuda profile cannot run here"

echo "gpu-gate: GPUs seen by the driver:"
gpus="$(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader)" \
  || fail "nvidia-smi could not query the GPUs (driver not loaded?)"
[ -n "$gpus" ] || fail "nvidia-smi lists no GPU"
echo "$gpus" | sed 's/^/  /'

# The header of plain nvidia-smi names the newest CUDA version the driver supports (>= 11.6 needed).
driver_cuda="$(nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9][0-9.]*\).*/\1/p' | head -n1)"
echo "gpu-gate: driver supports CUDA ${driver_cuda:-unknown}"
if [ -n "$driver_cuda" ]; then
  major="${driver_cuda%%.*}"; minor="${driver_cuda#*.}"; minor="${minor%%.*}"
  if [ "$major" -lt 11 ] || { [ "$major" -eq 11 ] && [ "$minor" -lt 6 ]; }; then
    fail "the driver supports CUDA $driver_cuda, nd4j-cuda-11.6 needs 11.6 or newer"
  fi
fi

if command -v nvcc >/dev/null 2>&1; then
  echo "gpu-gate: toolkit: $(nvcc --version | tail -n1)"
fi
# Informational only: ND4J's natives look in /usr/local/cuda-11.6/lib64 and the library path.
if command -v ldconfig >/dev/null 2>&1; then
  for lib in libcublas.so.11 libcusolver.so.11; do
    if ldconfig -p | grep -q "$lib" || [ -e "/usr/local/cuda-11.6/lib64/$lib" ]; then
      echo "gpu-gate: found $lib"
    else
      echo "gpu-gate: WARNING: $lib not in ldconfig or /usr/local/cuda-11.6/lib64 (set LD_LIBRARY_PATH)" >&2
    fi
  done
fi

echo "gpu-gate: mvn -B -Pcuda test $*"
mvn -B -Pcuda test "$@" || fail "mvn -Pcuda test failed (see the surefire output above; a" \
  "BackendUnavailableException or BackendMismatchException means ND4J did not run on CUDA)"

# The guard must have run and passed: a run that silently skipped it is no GPU gate.
report="target/surefire-reports/TEST-io.github.bndoctor.gpu.CudaBackendGuardTest.xml"
[ -f "$report" ] || fail "CudaBackendGuardTest did not run (no $report)"
grep -q 'tests="[1-9]' "$report" || fail "CudaBackendGuardTest ran no test"
echo "gpu-gate: PASS: ND4J ran on CUDA and the gpu + regression tests passed"
