"""Cold start of release binaries built with panic=abort vs unwind, interleaved (reuses bench.py).

Usage (from the workspace root, after building each function both ways):
  for m in abort unwind; do CARGO_PROFILE_RELEASE_PANIC=$m cargo build --release -p push-stats --bin push-stats --target-dir target/bench-$m; done
  .venv/bin/python devtools/bench/panic_strategy.py 20 push-stats
"""
import json, sys, tempfile
from pathlib import Path
root = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root / "devtools/bench"))
import bench
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
names = sys.argv[2:] or ["push-stats"]
work = Path(tempfile.mkdtemp(prefix="kitbench."))
events = {
    "push-stats": json.loads((root / "events/push-stats/get.json").read_text()),
    "usersig-refresher": json.loads((root / "events/usersig-refresher/testSecret.json").read_text()),
    "ops-pull": json.loads((root / "events/ops-pull/scheduled.json").read_text()),
}
create = json.loads((root / "events/usersig-refresher/createSecret.json").read_text())
servers = bench.Servers(root, root / "target/debug/tim-emulator", work)
try:
    bench.setup_aws(root, servers, create["SecretId"], create["ClientRequestToken"])
    common = {"AWS_ENDPOINT_URL": servers.moto, "TIM_ENDPOINT": servers.tim_endpoint, "TIM_KEY_SECRET_ID": bench.KEY_SECRET_ID}
    extra = {"ops-pull": {"OPS_BUCKET": bench.BUCKET, "OPS_PREFIX": bench.OPS_PREFIX}, "usersig-refresher": {"LIVE_CHECK": "true"}, "push-stats": {}}
    fns = {}
    for name in names:
        for mode in ("abort", "unwind"):
            fns[f"{name} {mode}"] = bench.Function(f"{name}-{mode}", root / f"target/bench-{mode}/release/{name}", {**common, **extra[name]}, events[name], work)
    for f in fns.values():
        f.cold()
    cold = {k: [] for k in fns}
    for _ in range(runs):
        for k, f in fns.items():
            cold[k].append(f.cold())
    print("| binary | init median | init p90 | first response median | first response p90 |")
    print("|---|---:|---:|---:|---:|")
    for k, rs in cold.items():
        i = [r["init"] for r in rs]; fr = [r["first"] for r in rs]
        print(f"| {k} | {bench.fmt(bench.median(i))} | {bench.fmt(bench.p90(i))} | {bench.fmt(bench.median(fr))} | {bench.fmt(bench.p90(fr))} |")
finally:
    servers.close()
