#!/usr/bin/env python3
"""The summary of `make bench` (Tools/bench.sh): reads the BENCH lines every benchmark of the run
printed, computes each issue target's ratio against the baseline measured in the same run, prints
one table, and rewrites the generated block of docs/PERFORMANCE.md (between `<!-- bench:begin -->`
and `<!-- bench:end -->`) with it.

usage: bench-summary.py LOG --started ISO --load-start TEXT --load-end TEXT --total-s N
                        [--steps TEXT] [--doc docs/PERFORMANCE.md] [--no-doc]

Two BENCH line shapes exist: `BENCH name=X key=value ...` (hsm-bench, service, issue, p11kit,
openssl) and `BENCH X VALUE UNIT (...)` (rpc-bench). Both become {name: {key: value}}; the second
shape stores its number under "value". A missing case shows as "—" and "not run".
"""
import argparse
import re
import sys

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def parse(path):
    cases, targets = {}, {}
    for line in open(path, errors="replace"):
        line = line.strip()
        if line.startswith("BENCH-TARGET "):
            for key, value in re.findall(r"(\w+)=([^\s]+)", line):
                targets.setdefault(key, value)
            continue
        if not line.startswith("BENCH "):
            continue
        words = line.split()
        if len(words) > 1 and "=" in words[1]:
            fields = dict(re.findall(r"(\w+)=([^\s]+)", line))
            name = fields.pop("name", None)
        elif len(words) > 2:
            name, fields = words[1], {"value": words[2], "unit": words[3] if len(words) > 3 else ""}
        else:
            continue
        if name:
            cases[name] = {k: v for k, v in fields.items()}
    return cases, targets


def number(cases, name, key):
    try:
        return float(cases[name][key])
    except (KeyError, ValueError):
        return None


def best(cases, pattern, key="ops_per_s"):
    """The largest `key` among cases whose name matches `pattern`, with that case's name."""
    found = [(number(cases, n, key), n) for n in cases if re.search(pattern, n)]
    found = [(v, n) for v, n in found if v is not None]
    return max(found) if found else (None, None)


def rows(cases, targets, total_s):
    """(case, measured, baseline, ratio, target, verdict) for every target of issues 3, 4, 6, 7."""
    out = []

    def add(case, measured, baseline, ratio, target, higher=True, fmt="{:,.0f}", target_text=None):
        """`target` None marks an information row; `target_text` overrides how the target reads."""
        m = "—" if measured is None else fmt.format(measured)
        b = "—" if baseline is None else baseline
        if ratio is None:
            r, verdict = "—", "not run"
        else:
            r = f"{ratio:.3f}"
            verdict = ("information" if target is None
                       else "met" if (ratio >= target if higher else ratio <= target) else "missed")
        t = target_text or ("—" if target is None else ("≥ " if higher else "≤ ") + f"{target:g}")
        out.append((case, m, b, r, t, verdict))

    def ratio(a, b):
        return None if a is None or b in (None, 0) else a / b

    # Physical limits: the direct PKCS#11 ceiling as a share of raw OpenSSL (information, target 0).
    ed_direct, ed_direct_name = best(cases, r"direct_ed25519_(1thread|2threads|2processes)$")
    for alg, label in (("ed25519", "Ed25519"), ("p256", "ECDSA P-256"), ("rsa2048", "RSA-2048")):
        raw1 = number(cases, f"openssl_speed_{alg}_1core", "ops_per_s")
        raw2 = number(cases, f"openssl_speed_{alg}_2cores", "ops_per_s")
        direct, name = best(cases, rf"direct_{alg}_(1thread|2threads|2processes)$")
        add(f"{label}: best direct PKCS#11 ceiling ({name or '—'}) vs OpenSSL on 2 cores (information)",
            direct, f"{raw2:,.0f}/s (1 core {raw1:,.0f}/s)" if raw2 and raw1 else None, ratio(direct, raw2), None)

    # Issue 7 / 3: batching against the HSM ceiling (hsm-bench measures each algorithm's own
    # direct ceiling in its own rounds and prints the ratio as a BENCH-TARGET).
    for alg, label in (("ed25519", "Ed25519"), ("ecdsa_p256", "ECDSA P-256"), ("rsa2048", "RSA-2048")):
        sched = targets.get(f"scheduler_{alg}_vs_best_direct")
        if alg == "ed25519":
            sched = sched or targets.get("scheduler_vs_best_direct")
        add(f"HSM scheduler, batched {label} (hsm-bench) vs its best direct ceiling",
            best(cases, rf"^scheduler_{alg}_.*batched$")[0], "best of hsm-bench's direct cases",
            float(sched) if sched else None, 0.95)
    svc_batch = number(cases, "service_ed25519_batch_64", "ops_per_s")
    add("service SignBatch Ed25519 (B=64) vs best direct Ed25519 ceiling", svc_batch,
        f"{ed_direct:,.0f}/s ({ed_direct_name})" if ed_direct else None, ratio(svc_batch, ed_direct), 0.95)
    svc_unary = number(cases, "service_ed25519_unary_64", "ops_per_s")
    add("service unary Sign Ed25519, 64 streams vs best direct Ed25519 ceiling", svc_unary,
        f"{ed_direct:,.0f}/s ({ed_direct_name})" if ed_direct else None, ratio(svc_unary, ed_direct), 0.80)
    p99 = number(cases, "service_ed25519_unary_at_80pct_of_saturation", "p99_ms")
    add("service unary p99 at 80 % of saturation", p99, "5 ms", ratio(p99, 5.0), 1.0, higher=False,
        fmt="{:.2f} ms", target_text="≤ 5 ms")
    for alg, label, implied in (("p256", "ECDSA P-256", 3.0), ("rsa2048", "RSA-2048", 2.4)):
        # bench-p11kit compares at as many threads as personahsmd has primary sessions.
        mine, mname = best(cases, rf"^personahsm_{alg}_batch_\d+sessions$")
        n = re.search(r"_(\d+)sessions$", mname).group(1) if mname else "?"
        peer_name = f"p11kit_{alg}_{n}thread" + ("" if n == "1" else "s")
        ceiling, cname = best(cases, rf"direct_{alg}_(1thread|\d+threads|2processes)$")
        add(f"service SignBatch {label} (B=64, {n} sessions) vs best direct {label} ceiling", mine,
            f"{ceiling:,.0f}/s ({cname})" if ceiling else None, ratio(mine, ceiling), 0.95)
        peer = number(cases, peer_name, "ops_per_s")
        add(f"service SignBatch {label} vs p11-kit server at equal threads (issue: \"about {implied:g}×\")", mine,
            f"{peer:,.0f}/s ({peer_name})" if peer else None, ratio(mine, peer), implied,
            target_text=f"≈ {implied:g}")
    net = targets.get("network_vs_capacity")
    net_case = cases.get("scheduler_ed25519_network_1ms_3backends", {})
    # The verdict is the median round (the best round is biased upwards against a fixed capacity).
    median = float(net) * float(net_case["capacity"]) if net and "capacity" in net_case else None
    add("scheduler (median round) vs simulated 1 ms network HSM, 3 nodes × 1,000/s (hsm-bench)", median,
        f"capacity {float(net_case['capacity']):,.0f}/s" if "capacity" in net_case else None,
        float(net) if net else None, 0.90)
    net_direct = targets.get("network_scheduler_vs_direct_model")
    add("scheduler vs direct loops through the same 1 ms model (information)",
        number(cases, "scheduler_ed25519_network_1ms_3backends", "ops_per_s"), "direct loops, best round",
        float(net_direct) if net_direct else None, None)
    for suffix, what in (("", "3 nodes × 1,000/s"), ("_node500", "3 nodes × 500/s (model leaves the host CPU)")):
        name = f"service_ed25519_network_1ms_3nodes{suffix}"
        case = cases.get(name, {})
        rate = number(cases, name, "ops_per_s")
        add(f"service SignBatch Ed25519 vs simulated 1 ms network HSM, {what}", rate,
            f"capacity {float(case['capacity']):,.0f}/s" if "capacity" in case else None,
            number(cases, name, "ratio"), 0.90)
        cores = number(cases, name, "server_cores")
        add(f"… personahsmd's own CPU meanwhile (its HSM workers: {case.get('worker_cores', '?')} cores, the model's signing)",
            cores, "1 core", cores, 1.0, higher=False, fmt="{:.2f} cores", target_text="≤ 1 core")

    # Issue 4: RPC transport.
    calls = number(cases, "rpc_unary_calls_per_s", "value")
    add("RPC unary no-op calls/s, 64 in flight over 4 connections", calls, "50,000/s", ratio(calls, 50000), 1.0,
        target_text="≥ 50,000/s")
    rp99 = number(cases, "rpc_unary_p99_us", "value")
    add("RPC unary p99 at 80 % of that rate, from the scheduled send", rp99, "2,000 µs", ratio(rp99, 2000), 1.0,
        higher=False, fmt="{:,.0f} µs", target_text="≤ 2 ms")
    cpu = number(cases, "rpc_unary_cpu_us_per_call", "value")
    open_cpu = number(cases, "rpc_unary_open_loop_cpu_us_per_call", "value")
    add("RPC CPU per call, open loop at 80 % vs closed loop (information: comparable under load)", open_cpu,
        f"{cpu:.1f} µs closed loop" if cpu else None, ratio(open_cpu, cpu), None, fmt="{:.1f} µs")
    rss = number(cases, "rpc_server_rss_1000_idle_mib", "value")
    add("RPC server RSS with 1,000 idle connections", rss, "128 MiB", ratio(rss, 128), 1.0, higher=False,
        fmt="{:.1f} MiB", target_text="≤ 128 MiB")

    # Issue 6: issuance.
    issue = number(cases, "issue", "credentials_per_s")
    ceiling = number(cases, "issue", "ceiling_signatures_per_s")
    add("credential issuance vs direct Ed25519 ceiling on the server's token (bench-issue)", issue,
        f"{ceiling:,.0f}/s" if ceiling else None, number(cases, "issue", "ratio"), 0.90)

    add("whole `make bench` run (after the release build)", total_s / 60, "15 min", total_s / 60 / 15, 1.0,
        higher=False, fmt="{:.1f} min", target_text="≤ 15 min")
    return out


def table(rows_):
    head = ("case", "measured", "baseline", "ratio", "target", "verdict")
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---|---:|---|---|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows_]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--started", required=True)
    parser.add_argument("--load-start", required=True)
    parser.add_argument("--load-end", required=True)
    parser.add_argument("--total-s", type=float, required=True)
    parser.add_argument("--steps", default="")
    parser.add_argument("--doc", default="docs/PERFORMANCE.md")
    parser.add_argument("--no-doc", action="store_true", help="print the table only (a partial run)")
    args = parser.parse_args()
    cases, targets = parse(args.log)
    summary = table(rows(cases, targets, args.total_s))
    print(summary)
    if args.no_doc:
        return
    block = "\n".join([
        BEGIN,
        "<!-- Generated by `make bench` (Tools/bench.sh, Tools/bench-summary.py); edits here are overwritten. -->",
        f"Latest `make bench`: started {args.started}, total {args.total_s / 60:.1f} min"
        + (f" ({args.steps})" if args.steps else "") + ".",
        f"Load (`uptime`) at the start: {args.load_start}; at the end: {args.load_end}.",
        "Every ratio is against a baseline measured in the same run; `met`/`missed` compares it with the",
        "issue's target. Figures taken while other jobs share the 2 cores are low and noisy.",
        "",
        summary,
        END,
    ])
    text = open(args.doc).read()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        marker = "## Summary: targets and the latest run"
        section = "## `make bench`: the latest full run\n\n" + block + "\n\n"
        text = text.replace(marker, section + marker, 1) if marker in text else text + "\n" + section
    open(args.doc, "w").write(text)


if __name__ == "__main__":
    sys.exit(main())
