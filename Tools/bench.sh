#!/usr/bin/env bash
# `make bench` (issue 7): every benchmark side by side in one run on this machine, then one summary
# table of ratios against the run's own baselines, written into docs/PERFORMANCE.md between
# `<!-- bench:begin -->` and `<!-- bench:end -->` (Tools/bench-summary.py).
# Steps, in order (each prints BENCH lines; the full output goes to .build/bench/bench.log):
#   openssl   the physical limit: `openssl speed` sign rates on 1 and 2 cores, Ed25519, P-256, RSA-2048
#   hsm       Tools/bench-hsm.sh: direct PKCS#11 ceilings, scheduler, network-HSM model
#   rpc       rpc-bench: the RPC transport alone
#   service   Tools/bench-service.sh: PersonaHSM unary, batch, stream, sweep
#   p11kit    Tools/bench-p11kit.sh: PersonaHSM vs p11-kit server vs direct, P-256 and RSA-2048
#   issue     Tools/bench-issue.sh: credential issuance vs the direct ceiling
# BENCH_STEPS="hsm rpc" runs a subset (the table is printed but docs/PERFORMANCE.md is only updated
# by a full run, or with BENCH_UPDATE_DOC=1); BENCH_SECONDS, BENCH_DOCS pass through to the steps. A step
# that fails is reported and the others still run (its cases show "not run" in the table).
# The budget is 15 minutes for the whole run on this 2-core machine; the defaults below fit it.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT="${SWIFT:-swift}"
ALL_STEPS="openssl hsm rpc service p11kit issue"
STEPS=${BENCH_STEPS:-$ALL_STEPS}
DOC_FLAG=""
[ "$STEPS" = "$ALL_STEPS" ] || [ "${BENCH_UPDATE_DOC:-0}" = 1 ] || DOC_FLAG="--no-doc"
OUT=.build/bench
mkdir -p "$OUT"
LOG="$OUT/bench.log"
: >"$LOG"
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(uptime | sed 's/.*load average: //')
T0=$(date +%s)
echo "bench: started $STARTED, load average $LOAD_START, $(nproc) cores" | tee -a "$LOG"

openssl_limits() {
    # -mr lines: +F2:i:bits:sign/s:verify/s (RSA), +F4:i:bits:sign/s:verify/s (ECDSA),
    # +F6:i:bits:name:sign/s:verify/s (EdDSA). `-multi 2` adds the two processes' rates.
    local one two
    one=$(openssl speed -mr -seconds 1 ed25519 ecdsap256 rsa2048 2>/dev/null | grep '^+F')
    two=$(openssl speed -mr -multi 2 -seconds 1 ed25519 ecdsap256 rsa2048 2>/dev/null | grep '^+F')
    python3 - "$one" "$two" <<'PY'
import sys
def rates(text):
    out = {}
    for line in text.splitlines():
        f = line.split(":")
        if f[0] == "+F2" and f[2] == "2048": out["rsa2048"] = float(f[3])
        if f[0] == "+F4" and f[2] == "256": out["p256"] = float(f[3])
        if f[0] == "+F6" and f[3] == "Ed25519": out["ed25519"] = float(f[4])
    return out
one, two = rates(sys.argv[1]), rates(sys.argv[2])
for alg in ("ed25519", "p256", "rsa2048"):
    if alg in one:
        print(f"BENCH name=openssl_speed_{alg}_1core ops_per_s={one[alg]:.0f} ratio=1.000 vs=itself")
    if alg in two and alg in one:
        print(f"BENCH name=openssl_speed_{alg}_2cores ops_per_s={two[alg]:.0f} ratio={two[alg] / one[alg]:.3f} "
              f"vs=openssl_speed_{alg}_1core")
PY
}

rpc_bench() {
    $SWIFT build -c release --product rpc-bench >/dev/null && .build/release/rpc-bench
}

TIMES=()
for step in $STEPS; do
    case $step in
        openssl) cmd=(openssl_limits) ;;
        hsm) cmd=(Tools/bench-hsm.sh) ;;
        rpc) cmd=(rpc_bench) ;;
        service) cmd=(Tools/bench-service.sh) ;;
        p11kit) cmd=(Tools/bench-p11kit.sh) ;;
        issue) cmd=(Tools/bench-issue.sh) ;;
        *) echo "bench: unknown step $step" >&2; continue ;;
    esac
    s0=$(date +%s)
    echo "== $step ($(date -u +%H:%M:%S), load $(uptime | sed 's/.*load average: //'))" | tee -a "$LOG"
    "${cmd[@]}" 2>>"$OUT/$step.stderr" | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || echo "bench: step $step FAILED (exit $rc; see $OUT/$step.stderr)" | tee -a "$LOG"
    TIMES+=("$step $(( $(date +%s) - s0 ))s")
done

TOTAL=$(( $(date +%s) - T0 ))
LOAD_END=$(uptime | sed 's/.*load average: //')
STEP_TIMES=$(IFS=,; echo "${TIMES[*]}" | sed 's/,/, /g')
echo
echo "bench: summary of the run (every ratio against a baseline of this run)"
python3 Tools/bench-summary.py "$LOG" --started "$STARTED" --load-start "$LOAD_START" --load-end "$LOAD_END" \
    --total-s "$TOTAL" --steps "$STEP_TIMES" $DOC_FLAG
echo "bench: total $((TOTAL / 60)) min $((TOTAL % 60)) s ($STEP_TIMES);" \
     "$([ -z "$DOC_FLAG" ] && echo "docs/PERFORMANCE.md updated" || echo "partial run: docs not updated"); log $LOG"
