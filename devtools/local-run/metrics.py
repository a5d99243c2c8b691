"""The EMF metrics the functions printed (from cargo lambda watch's log), as
a short table, checked against infra/metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

from common import check


def emf_documents(log_text: str) -> list[dict]:
    """The EMF documents in a log: JSON objects with `_aws`, wherever a line
    starts them (cargo lambda watch may prefix the function's output)."""
    docs = []
    for line in log_text.splitlines():
        start = line.find("{")
        if start < 0 or '"_aws"' not in line:
            continue
        try:
            doc = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("_aws"), dict):
            docs.append(doc)
    return docs


def cmd_metrics(args) -> None:
    catalog = json.loads(Path(args.catalog).read_text())
    listed = {m["name"]: m for m in catalog["metrics"]}
    business = set(catalog["business_metrics"]["names"])
    rows: dict[tuple[str, str], dict] = {}
    namespaces: set[str] = set()
    unlisted: set[str] = set()
    docs = emf_documents(Path(args.log).read_text(errors="replace"))
    for doc in docs:
        for directive in doc["_aws"].get("CloudWatchMetrics", []):
            namespaces.add(str(directive.get("Namespace")))
            dims = directive.get("Dimensions", [[]])[0]
            dim_text = ", ".join(f"{d}={doc.get(d)}" for d in dims) or "-"
            for metric in directive.get("Metrics", []):
                name = metric["Name"]
                if name not in listed and name not in business:
                    unlisted.add(name)
                row = rows.setdefault((name, dim_text), {"n": 0, "unit": metric.get("Unit", "None")})
                row["n"] += 1
                row["last"] = doc.get(name)

    def by(name: str) -> str:
        return ", ".join(listed[name]["emitted_by"]) if name in listed else "ops-pull (business)"

    print(f"  {'metric':<22} {'dimensions':<26} {'docs':>4}  {'last value':>11}  {'unit':<12} emitted by")
    shown_business = 0
    for (name, dims), row in sorted(rows.items(), key=lambda kv: (kv[0][0] in business, kv[0])):
        if name in business:
            shown_business += 1
            if shown_business > args.business_rows:
                continue
        print(f"  {name:<22} {dims:<26} {row['n']:>4}  {row['last']!s:>11}  {row['unit']:<12} {by(name)}")
    hidden = sum(1 for (name, _) in rows if name in business) - min(shown_business, args.business_rows)
    if hidden > 0:
        print(f"  … and {hidden} more business metric rows (Tencent's fields, one document per recent day written)")
    check(namespaces == {args.namespace}, f"{len(docs)} EMF documents, namespace {args.namespace}",
          f"EMF namespaces {sorted(namespaces)}, expected only {args.namespace}")
    check(not unlisted, "every emitted metric is in infra/metrics.json",
          f"not in infra/metrics.json: {sorted(unlisted)}")
    names = {name for name, _ in rows}
    for required in args.require:
        check(required in names, f"metric {required} emitted", f"no EMF document carried {required}")
    # Per-app metrics carry SDKAppID: each app must have its own.
    for required in args.per_app:
        for app in args.apps:
            check((required, f"SDKAppID={app}") in rows, f"metric {required} for app {app}",
                  f"no EMF document carried {required} with SDKAppID={app}")
