"""The release each function logs at start-up: one `starting` line per cold
start with `version`, the workspace's (Cargo.toml), so an operator reading a
log knows which CHANGELOG.md entry runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from common import check

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cmd_check_version(args) -> None:
    version = tomllib.loads(Path(args.cargo_toml).read_text(encoding="utf-8"))["workspace"]["package"]["version"]
    text = ANSI.sub("", Path(args.log).read_text(encoding="utf-8", errors="replace"))
    pattern = re.compile(rf'\bversion"?\s*[=:]\s*"?{re.escape(version)}"?')
    found = sum(1 for line in text.splitlines() if re.search(r"\bstarting\b", line) and pattern.search(line))
    check(found >= args.functions, f"each function logged its version {version} at start-up",
          f"{args.log}: {found} `starting` lines with version {version}, expected one per function ({args.functions})")
    print(f"  {found} start-up lines with version {version} (Cargo.toml [workspace.package])")
