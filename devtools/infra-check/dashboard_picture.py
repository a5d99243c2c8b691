#!/usr/bin/env python3
"""Draws the operations dashboard's widget grid from infra/template.yaml as
an SVG (infra/dashboard.svg, shown in infra/README.md): each widget at its
place and size with its title and what it plots. Standard library only.

    .venv/bin/python devtools/infra-check/dashboard_picture.py          # rewrite the picture
    .venv/bin/python devtools/infra-check/dashboard_picture.py --check  # exit 1 if it is stale

check_template.py runs the check, so the picture cannot drift from the
template.
"""

from __future__ import annotations

import json
import sys
import textwrap
from html import escape
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
PICTURE = ROOT / "infra" / "dashboard.svg"

COLUMN, ROW, GAP = 40, 26, 4  # pixels per grid column and row, gap between widgets
FILL = {"text": "#f3f4f6", "alarm": "#fdecea", "metric": "#ffffff"}
READABLE = {  # resource references as a reader knows them
    "OpsPullFunction": "ops-pull", "PushStatsFunction": "push-stats", "UsersigRefresherFunction": "usersig-refresher",
    "AWS::Region": "REGION", "AWS::StackName": "STACK",
}


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The body as deployed with the default parameters."""
    import re

    params = {name: str(spec.get("Default", name)) for name, spec in template["Parameters"].items()}
    text = template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name.endswith(".Arn"):
            return name[:-4]
        return params.get(name) or READABLE.get(name, name)

    return json.loads(re.sub(r"\$\{([^}]+)\}", replace, text))


def plotted(widget: dict[str, Any]) -> list[str]:
    """One short line per plotted series: metric, per what, statistic."""
    import re

    lines = []
    props = widget["properties"]
    for entry in props.get("metrics", []):
        if isinstance(entry[0], dict):
            search = re.search(r"\{\"?[^\",}]+\"?,([^}]*)\} MetricName=\"(\w+)\"', '([\w.]+)', (\d+)", entry[0]["expression"])
            if search:
                dims, name, stat, period = search.groups()
                every = "day" if period == "86400" else f"{int(period) // 60} min"
                lines.append(f"{name} per {dims.strip()} ({stat}, {every})")
            continue
        options = entry[-1] if isinstance(entry[-1], dict) else {}
        stat = options.get("stat", props.get("stat", ""))
        lines.append(f"{entry[1]} {options.get('label', entry[3])} ({stat})".replace(" ()", ""))
    for mark in props.get("annotations", {}).get("horizontal", []):
        lines.append(f"line at {mark['value']} ({mark.get('label', '')})")
    return lines


def widget_svg(widget: dict[str, Any]) -> str:
    x, y = widget["x"] * COLUMN + GAP, widget["y"] * ROW + GAP
    width, height = widget["width"] * COLUMN - GAP, widget["height"] * ROW - GAP
    props = widget["properties"]
    chars = max(10, int(width / 6.3))
    if widget["type"] == "text":
        heading, _, rest = props["markdown"].lstrip("#").partition("\n")
        title, body = heading.strip(), textwrap.wrap(rest.replace("**", ""), chars)
    elif widget["type"] == "alarm":
        title, body = props.get("title", "Alarms"), textwrap.wrap(" · ".join(props.get("alarms", [])), chars)
    else:
        title, body = props.get("title", ""), [line for p in plotted(widget) for line in textwrap.wrap(p, chars)]
    room = max(0, (height - 30) // 13)
    if len(body) > room:
        body = body[:room - 1] + ["…"] if room else []
    parts = [f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="4" fill="{FILL[widget["type"]]}" '
             f'stroke="#9ca3af"/>',
             f'<text x="{x + 8}" y="{y + 18}" font-weight="bold" font-size="13">{escape(title)}</text>']
    parts += [f'<text x="{x + 8}" y="{y + 35 + 13 * i}" font-size="10.5" fill="#374151">{escape(line)}</text>'
              for i, line in enumerate(body)]
    if widget["type"] == "metric":  # a hint of a graph
        base = y + height - 10
        parts.append(f'<polyline fill="none" stroke="#60a5fa" stroke-width="1.5" points="'
                     + " ".join(f"{x + 8 + i * (width - 16) / 11:.0f},{base - (5 + (i * 7) % 13)}" for i in range(12))
                     + '"/>')
    return "\n".join(parts)


def picture() -> str:
    body = dashboard_body(yaml_parse(TEMPLATE.read_text()))
    widgets = body["widgets"]
    width = 24 * COLUMN + GAP
    height = max(w["y"] + w["height"] for w in widgets) * ROW + GAP
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif">',
        "<!-- Generated by devtools/infra-check/dashboard_picture.py from infra/template.yaml: do not edit. -->",
        f'<rect width="{width}" height="{height}" fill="#e5e7eb"/>',
        *(widget_svg(w) for w in widgets),
        "</svg>",
        "",
    ])


def is_current() -> bool:
    return PICTURE.is_file() and PICTURE.read_text() == picture()


def main() -> int:
    if "--check" in sys.argv[1:]:
        if is_current():
            return 0
        print(f"{PICTURE.relative_to(ROOT)} is stale: run devtools/infra-check/dashboard_picture.py", file=sys.stderr)
        return 1
    PICTURE.write_text(picture())
    print(f"wrote {PICTURE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
