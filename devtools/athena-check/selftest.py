#!/usr/bin/env python3
"""athena_check proven able to fail: a small hand-made archive (two apps, 30
days, one day of odd counts, push days) in ops-pull's layout passes with the
real template, and each breakage below is reported by the check that must
catch it. Ends with `athena-selftest: N passed, M failed`; exit 1 on any."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import sys
import tempfile
from pathlib import Path

import athena_check as ac

APPS = ("1400000000", "1400000001")
NEWEST = dt.date(2026, 3, 1)  # a Sunday: the week-over-week query sees full weeks
DAYS = 30
PULLED_AT = "2026-03-02T01:00:00.000Z"
ODD = {"ActiveUserNum": "", "UpMsgNum": "1.5", "MaxOnlineNum": "99999999999999999999", "RegistUserNumOneDay": None}
ODD_KEY = (APPS[1], (NEWEST - dt.timedelta(days=9)).isoformat())
TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


def tencent_row(template: dict, app: str, day: dt.date, n: int) -> dict:
    """A getappinfo row: every field the table maps, as Tencent's strings."""
    (daily,) = [t for t in ac.glue_tables(template) if t.folder == "daily"]
    row = {key: str(int(app) % 97 * 1000 + n * 37 + i * 11) for i, (col, duck, key) in enumerate(daily.columns)
           if duck == "BIGINT"}
    row.update(AppId=app, AppName=f"App {app}", Company="Co", Date=day.strftime("%Y%m%d"))
    return row


def ops_pull_line(app: str, row: dict, strings: bool) -> dict:
    """What ops-pull writes for the row: counts as numbers, odd ones null
    with their text in "malformed" (or, as before that, kept as strings)."""
    line = {"sdkappid": int(app), "date": f"{row['Date'][:4]}-{row['Date'][4:6]}-{row['Date'][6:]}",
            "pulled_at": PULLED_AT}
    for f, v in row.items():
        odd = f not in ac.TEXT_FIELDS and isinstance(v, str) and ac.count(v) is None
        line[f] = v if f in ac.TEXT_FIELDS or strings and odd else ac.count(v)
    if (malformed := ac.malformed_of(row)) and not strings:
        line["malformed"] = malformed
    return line


def push_answer(app: str, n: int) -> dict:
    channels = [{"EventType": 1, "PushPlatform": p, "TotalCount": 100 + p * n, "SentCount": 90 + p,
                 "DeliveredCount": 50 + p, "ClickCount": p} for p in range(1, 9)]
    channels.append({"EventType": 2, "PushPlatform": 0, "TotalCount": 7, "SentCount": 0, "DeliveredCount": 0,
                     "ClickCount": 0})
    sums = {k: sum(c[k] for c in channels) for k in ("TotalCount", "SentCount", "DeliveredCount", "ClickCount")}
    return {"ActionStatus": "OK", "ErrorCode": 0, "Results": [{"TaskID": "", **sums, "PlatformStatistics": channels}]}


def push_lines(app: str, day: str, answer: dict) -> list[dict]:
    """ops-pull's rows of a push day: the totals, then one per channel."""
    (result,) = answer["Results"]
    rows = [("all", None, "all", None, result)]
    rows += [(ac.EVENTS[c["EventType"]], c["EventType"], ac.PLATFORMS.get(c["PushPlatform"], "unknown"),
              c["PushPlatform"], c) for c in result["PlatformStatistics"]]
    return [{"sdkappid": int(app), "date": day, "event": e, "event_code": ec, "platform": p, "platform_code": pc,
             "total": c["TotalCount"], "sent": c["SentCount"], "delivered": c["DeliveredCount"],
             "clicked": c["ClickCount"], "delivery_rate": c["DeliveredCount"] / c["SentCount"] if c["SentCount"]
             else None, "click_rate": None, "pulled_at": PULLED_AT} for e, ec, p, pc, c in rows]


def write_lines(path: Path, lines: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def make_archive(root: Path, template: dict, strings: bool = False) -> Path:
    for app in APPS:
        rows = []
        for n in range(DAYS):
            day = NEWEST - dt.timedelta(days=n)
            row = tencent_row(template, app, day, n)
            if (app, day.isoformat()) == ODD_KEY:
                row.update(ODD)
            rows.append(row)
            write_lines(root / f"daily/sdkappid={app}/dt={day.isoformat()}/operations.json",
                        [ops_pull_line(app, row, strings)])
        raw = root / f"raw/sdkappid={app}/pulled_at={PULLED_AT}.json.gz"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(gzip.compress(json.dumps({"ErrorCode": 0, "ErrorInfo": "", "Result": rows}).encode()))
        for n in range(2):
            day = (NEWEST - dt.timedelta(days=n)).isoformat()
            answer = push_answer(app, n + int(app) % 5)
            write_lines(root / f"push/sdkappid={app}/dt={day}/push_statistics.json", push_lines(app, day, answer))
            target = root / f"emulator/push/sdkappid={app}/dt={day}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(answer), encoding="utf-8")
    return root


def edit_line(root: Path, key: tuple, **changes) -> None:
    path = root / f"daily/sdkappid={key[0]}/dt={key[1]}/operations.json"
    line = json.loads(path.read_text(encoding="utf-8"))
    line.update(changes)
    write_lines(path, [line])


def edit_query(template: dict, logical_id: str, old: str, new: str) -> dict:
    t = copy.deepcopy(template)
    props = t["Resources"][logical_id]["Properties"]
    assert old in props["QueryString"], (logical_id, old)
    props["QueryString"] = props["QueryString"].replace(old, new)
    return t


def edit_column(template: dict, column: str, hive_type: str) -> dict:
    t = copy.deepcopy(template)
    for c in t["Resources"]["OpsDailyTable"]["Properties"]["TableInput"]["StorageDescriptor"]["Columns"]:
        if c["Name"] == column:
            c["Type"] = hive_type
    return t


def cases(template: dict) -> list[tuple]:
    """(name, archive maker, template, what the first failure must say (None:
    no failure), what later failures may say besides a starved query's "not run")."""
    fine = lambda root: make_archive(root, template)  # noqa: E731

    def with_edit(**changes):
        return lambda root: (edit_line(make_archive(root, template), ODD_KEY, **changes), root)[1]

    extra = copy.deepcopy(template)
    extra["Resources"]["NewNamedQuery"] = {"Type": "AWS::Athena::NamedQuery",
                                           "Properties": {"QueryString": "SELECT 1"}}
    broken_query = lambda q, old, new: edit_query(template, q, old, new)  # noqa: E731
    return [
        ("the hand-made archive passes every check", fine, template, None, None),
        ("odd counts written as strings (ops-pull before null + malformed) are rejected",
         lambda root: make_archive(root, template, strings=True), template,
         'load operations_daily: operations_daily.activeusernum (BIGINT): VARCHAR ""', "malformed:"),
        ("a numeric string in a bigint column is rejected", with_edit(UpMsgNum="7"), template,
         "load operations_daily: operations_daily.upmsgnum (BIGINT): VARCHAR", None),
        ("a fraction in a bigint column is rejected", with_edit(UpMsgNum=1.5), template,
         "load operations_daily: operations_daily.upmsgnum (BIGINT): DOUBLE 1.5", None),
        ("a count off by one is a wrong number", with_edit(C2CUpMsgNum=1), template, "DailyTrendNamedQuery: row", None),
        ("a malformed map that lost a text is reported", with_edit(malformed={"UpMsgNum": "1.5"}), template,
         "malformed: ('1400000001'", None),
        ("a column type that does not read the data fails the load", fine, edit_column(template, "appname", "bigint"),
         "load operations_daily: operations_daily.appname (BIGINT)", None),
        ("a query reading another window is reported", fine,
         broken_query("DailyTrendNamedQuery", "INTERVAL '30' DAY", "INTERVAL '3' DAY"), "DailyTrendNamedQuery: 6 rows",
         None),
        ("a query summing the wrong column is reported", fine,
         broken_query("PushRatesNamedQuery", "sum(clicked) AS clicked", "sum(sent) AS clicked"),
         "PushRatesNamedQuery: row 0", None),
        ("a query the engine rejects is reported", fine,
         broken_query("AppsComparedNamedQuery", "upmsgnum,", "no_such_column,"), "AppsComparedNamedQuery: the engine",
         None),
        ("a named query without an expectation is reported", fine, extra, "NewNamedQuery: no expectation", None),
    ]


def main() -> int:
    template = ac.load_template(TEMPLATE)
    passed = failed = 0
    for name, make, tmpl, must_say, also in cases(template):
        with tempfile.TemporaryDirectory(prefix="athena-selftest.") as tmp:
            report = ac.run_check(make(Path(tmp)), tmpl)
        fails = [line for line in report.lines if line.startswith("  FAIL")]
        if must_say is None:
            ok = not fails and report.passed == 7
        else:
            # The breakage first; after a failed load, the queries it starves.
            ok = bool(fails) and must_say in fails[0] and all("not run" in f or also and also in f for f in fails[1:])
        passed, failed = passed + ok, failed + (not ok)
        print(f"  {'ok   ' if ok else 'FAIL '} {name}")
        if not ok:
            print("\n".join("        " + line for line in report.lines))
    print(f"athena-selftest: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
