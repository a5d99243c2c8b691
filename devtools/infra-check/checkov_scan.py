#!/usr/bin/env python3
"""checkov (.local/checkov, pinned by setup.sh) over infra/template.yaml with
Fn::ForEach expanded for two apps, as CloudFormation expands it: checkov does
not expand the loop and would not see the per-app secrets.

Passes when nothing fails and every skipped check carries its reason (the
`checkov: skip: [{id, comment}]` entries of the resources' Metadata). Offline
(--skip-download). Prints each skip with its reason and ends
`checkov: N passed, M failed, K skipped`.

Run with the repo's venv: .venv/bin/python devtools/infra-check/checkov_scan.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from cfn_support import ROOT, expand_for_each

CHECKOV = ROOT / ".local" / "checkov" / "bin" / "checkov"
APPS = ["1400000001", "1400000002"]


def main() -> int:
    if not CHECKOV.is_file():
        print(f"checkov_scan: {CHECKOV} missing; run devtools/setup.sh first", file=sys.stderr)
        return 2
    expanded = expand_for_each(yaml_parse((ROOT / "infra" / "template.yaml").read_text()), APPS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "template.json"
        path.write_text(json.dumps(expanded, indent=1))
        run = subprocess.run(
            [str(CHECKOV), "--file", str(path), "--framework", "cloudformation", "--skip-download",
             "--output", "json", "--soft-fail"],
            capture_output=True, text=True, cwd=folder, timeout=600)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(f"checkov_scan: checkov printed no report:\n{run.stdout[-2000:]}{run.stderr[-2000:]}", file=sys.stderr)
        return 1
    results = report.get("results", {})
    passed = len(results.get("passed_checks", []))
    failed = results.get("failed_checks", [])
    skipped = results.get("skipped_checks", [])
    unexplained = [s for s in skipped if not (s.get("check_result", {}).get("suppress_comment") or "").strip()]
    for s in skipped:
        print(f"skip {s['check_id']} {s['resource']}: {s.get('check_result', {}).get('suppress_comment', '')}")
    for f in failed:
        print(f"FAIL {f['check_id']} {f['resource']}: {f['check_name']}")
    for s in unexplained:
        print(f"FAIL {s['check_id']} {s['resource']}: skipped without a reason")
    print(f"checkov: {passed} passed, {len(failed) + len(unexplained)} failed, {len(skipped)} skipped")
    return 1 if failed or unexplained or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
