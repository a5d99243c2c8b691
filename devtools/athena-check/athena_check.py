#!/usr/bin/env python3
"""The ops-pull archive read by a real SQL engine: DuckDB loads the daily and
push JSON Lines with the column types of the Glue tables in
infra/template.yaml and runs every AWS::Athena::NamedQuery of the template,
translated from Athena's dialect by sqlglot; each query's rows are compared
with what the emulator served (raw/ copies of getappinfo, emulator/push/
answers), computed here in plain Python, apart from SQL.

    athena_check.py ARCHIVE_DIR [--template infra/template.yaml] [--today YYYY-MM-DD]

ARCHIVE_DIR as devtools/local-run.sh leaves it (devtools/local-run/archive.py).
current_date is pinned to --today (default: the day after the newest daily
partition, the day the archive was pulled), so no result depends on the clock.
A type that does not read the data, a JSON value of another type than its
column, a query the engine rejects or a wrong number fails. Ends with
`athena: N passed, M failed`; exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import sqlglot
import yaml
from sqlglot import exp

SCALAR_TYPES = {"bigint": "BIGINT", "int": "INTEGER", "integer": "INTEGER", "smallint": "SMALLINT",
                "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "string": "VARCHAR",
                "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE", "binary": "BLOB"}
# What json_type() may say of a value read into a column of that DuckDB type
# (NULL always). DuckDB itself casts 1.5 and true into BIGINT and "7" into
# any number: the JSON must hold the column's own kind.
JSON_KINDS = {"BIGINT": {"BIGINT", "UBIGINT"}, "INTEGER": {"BIGINT", "UBIGINT"}, "SMALLINT": {"BIGINT", "UBIGINT"},
              "TINYINT": {"BIGINT", "UBIGINT"}, "DOUBLE": {"BIGINT", "UBIGINT", "DOUBLE"},
              "FLOAT": {"BIGINT", "UBIGINT", "DOUBLE"}, "VARCHAR": {"VARCHAR"}, "BOOLEAN": {"BOOLEAN"}}


class Problem(Exception):
    """A check that did not hold; the message says what and where."""


def duck_type(hive: str) -> str:
    """Hive (Glue) type -> DuckDB type; an unknown one is a problem, not a guess."""
    t = hive.strip().lower()
    if t in SCALAR_TYPES:
        return SCALAR_TYPES[t]
    if m := re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", t):
        return f"DECIMAL({m[1]}, {m[2]})"
    if m := re.fullmatch(r"array<(.+)>", t):
        return f"{duck_type(m[1])}[]"
    if m := re.fullmatch(r"map<([^,<>]+),(.+)>", t):
        return f"MAP({duck_type(m[1])}, {duck_type(m[2])})"
    raise Problem(f"no DuckDB type for the Glue type {hive!r}")


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short forms (!Ref, !Sub, ...) as their long forms."""


def _short_form(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _short_form)


def load_template(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)


@dataclass
class Table:
    logical_id: str
    name: str
    folder: str  # daily or push: the archive folder of its Location
    columns: list[tuple[str, str, str]]  # (column, DuckDB type, JSON key)
    partitions: list[tuple[str, str]]  # (column, DuckDB type)
    parameters: dict = field(default_factory=dict)


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template.get("Resources", {}).items() if isinstance(r, dict) and r.get("Type") == kind}


def glue_tables(template: dict) -> list[Table]:
    tables = []
    for logical_id, r in resources(template, "AWS::Glue::Table").items():
        ti = r["Properties"]["TableInput"]
        sd = ti["StorageDescriptor"]
        location = sd["Location"]
        location = location.get("Fn::Sub", "") if isinstance(location, dict) else location
        mapping = {k[len("mapping."):]: v for k, v in sd.get("SerdeInfo", {}).get("Parameters", {}).items()
                   if k.startswith("mapping.")}
        columns = [(c["Name"], duck_type(c["Type"]), mapping.get(c["Name"], c["Name"])) for c in sd["Columns"]]
        partitions = [(c["Name"], duck_type(c["Type"])) for c in ti.get("PartitionKeys", [])]
        tables.append(Table(logical_id, ti["Name"], location.rstrip("/").rsplit("/", 1)[-1], columns, partitions,
                            ti.get("Parameters", {})))
    if not tables:
        raise Problem("no AWS::Glue::Table in the template")
    return tables


def database_name(template: dict) -> str:
    (db,) = resources(template, "AWS::Glue::Database").values()
    name = db["Properties"]["DatabaseInput"]["Name"]
    if isinstance(name, dict) and "Ref" in name:
        name = template["Parameters"][name["Ref"]]["Default"]
    return name


def named_queries(template: dict, db: str, tables: list[Table]) -> list[tuple[str, str]]:
    """(logical id, SQL) of every named query, !Sub names resolved."""
    names = {"AthenaDatabaseName": db, **{t.logical_id: t.name for t in tables}}
    names.update({k: db for k in resources(template, "AWS::Glue::Database")})
    found = []
    for logical_id, r in resources(template, "AWS::Athena::NamedQuery").items():
        sql = r["Properties"]["QueryString"]
        if isinstance(sql, dict):
            sql = sql.get("Fn::Sub")
            if not isinstance(sql, str):
                raise Problem(f"{logical_id}: QueryString is neither text nor a one-argument !Sub")

            def name_of(m, logical_id=logical_id):
                if m[1] not in names:
                    raise Problem(f"{logical_id}: cannot resolve ${{{m[1]}}} in its QueryString")
                return names[m[1]]

            sql = re.sub(r"\$\{([A-Za-z0-9:.]+)\}", name_of, sql)
        found.append((logical_id, sql))
    return found


def translate(sql: str, today: dt.date) -> str:
    """Athena (Trino) SQL -> DuckDB SQL, with current_date pinned to `today`."""
    tree = sqlglot.parse_one(sql, read="athena")
    pinned = tree.transform(lambda n: exp.cast(exp.Literal.string(today.isoformat()), "date")
                            if isinstance(n, exp.CurrentDate) else n)
    return pinned.sql(dialect="duckdb")


def check_partitions(table: Table, files: list[Path], root: Path) -> None:
    """The Hive paths must be what partition projection would look up."""
    p = table.parameters
    if str(p.get("projection.enabled")) != "true" or p.get("projection.dt.type") != "date":
        raise Problem(f"{table.name}: expected date partition projection on dt, got {p}")
    if p.get("projection.dt.format") != "yyyy-MM-dd":
        raise Problem(f"{table.name}: dt format {p.get('projection.dt.format')!r}: this check reads yyyy-MM-dd")
    for f in files:
        parts = f.relative_to(root).parts
        if not (len(parts) == 3 and re.fullmatch(r"sdkappid=\d+", parts[0])
                and re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", parts[1])):
            raise Problem(f"{table.name}: {f.relative_to(root)} is not under sdkappid=ID/dt=YYYY-MM-DD/")


def strict_types(con, table: Table, pattern: str) -> None:
    """Every JSON value of a column is of the column's kind (or null)."""
    keys = {key: "JSON" for _, _, key in table.columns}
    kinds = ", ".join(f'json_type("{key}")' for _, _, key in table.columns)
    rows = con.execute(f"SELECT filename, {kinds}, * FROM read_json(?, format='newline_delimited', "
                       f"columns={keys!r}, filename=true, hive_partitioning=false)", [pattern]).fetchall()
    n = len(table.columns)
    for row in rows:
        for (column, duck, _), kind, value in zip(table.columns, row[1:n + 1], row[n + 1:]):
            allowed = JSON_KINDS.get(duck, {"OBJECT"} if duck.startswith("MAP(") else {"ARRAY"})
            if kind is not None and kind not in allowed | {"NULL"}:
                raise Problem(f"{table.name}.{column} ({duck}): {kind} {value} in {row[0]}")


def load_table(con, table: Table, archive: Path) -> int:
    root = archive / table.folder
    files = sorted(root.glob("sdkappid=*/dt=*/*.json"))
    if not files:
        raise Problem(f"{table.name}: no JSON objects under {root}")
    check_partitions(table, files, root)
    pattern = str(root / "sdkappid=*" / "dt=*" / "*.json")
    strict_types(con, table, pattern)
    # As the OpenX SerDe: keys not in the table are ignored (read_json with
    # explicit columns skips them; the lines carry sdkappid, which the
    # partition gives), a missing key is NULL, a value its type cannot hold
    # fails the load (ignore_errors stays off).
    columns = {key: duck for _, duck, key in table.columns}
    hive_types = dict(table.partitions)
    select = ", ".join([f'"{key}" AS "{column}"' for column, _, key in table.columns]
                       + [f'"{name}"' for name, _ in table.partitions])
    try:
        con.execute(f"CREATE TABLE {table.name} AS SELECT {select} FROM read_json(?, format='newline_delimited', "
                    f"columns={columns!r}, hive_partitioning=true, hive_types={hive_types!r}, "
                    "hive_types_autocast=false)", [pattern])
    except duckdb.Error as e:
        raise Problem(f"{table.name}: the data does not read with the table's types: {e}") from None
    return con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]


def plain(value):
    """A result value as the expectations write it (a week may come back as a
    DATE or a midnight TIMESTAMP: both are that day)."""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare(got: list[tuple], want: list[tuple]) -> str | None:
    """None when the rows are the same, in order; else the first differences."""
    if len(got) != len(want):
        return f"{len(got)} rows, expected {len(want)}; first got {got[:1]}, first expected {want[:1]}"
    diffs = [f"row {i}: got {g}, expected {w}" for i, (g, w) in enumerate(zip(got, want))
             if len(g) != len(w) or not all(same(x, y) for x, y in zip(g, w))]
    return None if not diffs else "; ".join(diffs[:3]) + (f" (+{len(diffs) - 3} rows)" if len(diffs) > 3 else "")


@dataclass
class Report:
    passed: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)

    def ok(self, what: str) -> None:
        self.passed += 1
        self.lines.append(f"  ok    {what}")

    def fail(self, what: str) -> None:
        self.failed += 1
        self.lines.append(f"  FAIL  {what}")


def read_emulator(archive: Path) -> tuple[dict, dict]:
    """Tencent's getappinfo rows per (sdkappid, YYYY-MM-DD) from raw/ (the
    newest copy wins) and the push answers per (sdkappid, YYYY-MM-DD)."""
    daily = {}
    for f in sorted((archive / "raw").glob("sdkappid=*/*.json.gz")):  # pulled_at=... sorts by time
        app = f.parent.name.split("=", 1)[1]
        for row in json.loads(gzip.decompress(f.read_bytes()))["Result"]:
            d = row["Date"]
            daily[(app, f"{d[:4]}-{d[4:6]}-{d[6:]}")] = row
    push = {}
    for f in sorted((archive / "emulator" / "push").glob("sdkappid=*/dt=*.json")):
        push[(f.parent.name.split("=", 1)[1], f.stem[3:])] = json.loads(f.read_text(encoding="utf-8"))
    if not daily or not push:
        raise Problem(f"{archive}: no raw/ getappinfo copies or no emulator/push/ answers")
    return daily, push


# ---------------------------------------------------------------------------
# What each named query must return, from Tencent's (the emulator's) answers,
# in plain Python: SQL's NULL rules (aggregates skip nulls, x / NULL is NULL)
# and DuckDB's round (half away from zero) written out.

TEXT_FIELDS = {"AppName", "Company", "Date"}
EVENTS = {1: "offline", 2: "online"}
PLATFORMS = {1: "apns", 2: "mi", 3: "huawei", 4: "fcm", 5: "meizu", 6: "oppo", 7: "vivo", 8: "honor"}


def count(value):
    """A Tencent count as the archive must hold it: an i64, else null."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63 else None


def malformed_of(row: dict) -> dict:
    """The texts ops-pull must keep in "malformed": counts that are not one."""
    return {f: v for f, v in row.items() if f not in TEXT_FIELDS and isinstance(v, str) and count(v) is None}


def field_of(row: dict, column: str):
    """A column's count: the Tencent field of that name, any case (apart
    from the SerDe mappings the table reads it through)."""
    return next((count(v) for f, v in row.items() if f.lower() == column), None)


def rounded(x, digits: int = 0):
    if x is None:
        return None
    m = 10.0 ** digits
    return math.copysign(math.floor(abs(x * m) + 0.5), x * m) / m


def pct(cur, prev):
    return None if cur is None or not prev else rounded(100 * (cur / prev - 1), 1)


def nonnull(values: list) -> list:
    return [v for v in values if v is not None]


def total(values: list):
    return sum(nonnull(values)) if nonnull(values) else None


def last_30_days(rows: dict, today: dt.date) -> list:
    cutoff = (today - dt.timedelta(days=30)).isoformat()
    return sorted(k for k in rows if k[1] >= cutoff)


def expect_daily_trend(daily, push, today):
    columns = ("activeusernum", "maxonlinenum", "upmsgnum", "downmsgnum", "c2cupmsgnum", "groupupmsgnum",
               "registusernumoneday", "registusernumtotal")
    return [(app, day, *(field_of(daily[(app, day)], c) for c in columns)) for app, day in last_30_days(daily, today)]


def expect_week_over_week(daily, push, today):
    monday = today - dt.timedelta(days=today.weekday())
    lo, hi = (monday - dt.timedelta(days=63)).isoformat(), monday.isoformat()
    weeks: dict[tuple, list] = {}
    for (app, day), row in daily.items():
        if lo <= day < hi:
            d = dt.date.fromisoformat(day)
            weeks.setdefault((app, d - dt.timedelta(days=d.weekday())), []).append(row)

    def agg(rows):
        col = lambda c: [field_of(r, c) for r in rows]  # noqa: E731
        active = nonnull(col("activeusernum"))
        peak = nonnull(col("maxonlinenum"))
        return (len(rows), sum(active) / len(active) if active else None, max(peak) if peak else None,
                total(col("upmsgnum")), total(col("downmsgnum")), total(col("registusernumoneday")))

    out = []
    for app, week in sorted(weeks):
        if week < monday - dt.timedelta(days=56):
            continue
        days, active, peak, up, down, reg = agg(weeks[(app, week)])
        prev = weeks.get((app, week - dt.timedelta(days=7)))
        _, p_active, p_peak, p_up, p_down, p_reg = agg(prev) if prev else (None,) * 6
        out.append((app, week.isoformat(), days, rounded(active), pct(active, p_active), peak, pct(peak, p_peak),
                    up, pct(up, p_up), down, pct(down, p_down), reg, pct(reg, p_reg)))
    return out


def expect_push_rates(daily, push, today):
    sums: dict[tuple, list] = {}
    for app, day in last_30_days(push, today):
        results = push[(app, day)].get("Results") or []
        rows = [("all", "all", {})] if not results else []
        for result in results:
            rows.append(("all", "all", result))
            rows += [(EVENTS.get(c["EventType"], "unknown"), PLATFORMS.get(c["PushPlatform"], "unknown"), c)
                     for c in result.get("PlatformStatistics", [])]
        for event, platform, c in rows:
            s = sums.setdefault((app, day, event, platform), [0, 0, 0, 0])
            for i, name in enumerate(("TotalCount", "SentCount", "DeliveredCount", "ClickCount")):
                s[i] += c.get(name, 0)

    def rate(a, b):
        return rounded(a / b, 4) if b else None

    return [(*k, t, s, d, c, rate(d, s), rate(c, d)) for k, (t, s, d, c) in sorted(sums.items())]


def expect_apps_compared(daily, push, today):
    keys = last_30_days(daily, today)
    by_day: dict[str, list] = {}
    for app, day in keys:
        by_day.setdefault(day, []).append(field_of(daily[(app, day)], "activeusernum"))
    out = []
    for app, day in sorted(keys, key=lambda k: (k[1], k[0])):
        active, all_apps = field_of(daily[(app, day)], "activeusernum"), total(by_day[day])
        share = rounded(100 * float(active) / all_apps, 1) if active is not None and all_apps else None
        out.append((day, app, active, field_of(daily[(app, day)], "upmsgnum"), share, all_apps))
    return out


# Every named query of the template needs one: a new query fails until it has.
BY_QUERY = {
    "DailyTrendNamedQuery": expect_daily_trend,
    "WeekOverWeekNamedQuery": expect_week_over_week,
    "PushRatesNamedQuery": expect_push_rates,
    "AppsComparedNamedQuery": expect_apps_compared,
}


def run_check(archive: Path, template: dict, today: dt.date | None = None) -> Report:
    report = Report()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena's session time zone
    try:
        tables = glue_tables(template)
        db = database_name(template)
        con.execute(f"CREATE SCHEMA {db}")
        con.execute(f"USE {db}")
        daily, push = read_emulator(archive)
        queries = named_queries(template, db, tables)
    except (Problem, KeyError, ValueError, duckdb.Error) as e:
        report.fail(f"setup: {e}")
        return report
    unloaded = set()
    for table in tables:
        try:
            n = load_table(con, table, archive)
            report.ok(f"load {db}.{table.name}: {n} rows, {len(table.columns)} typed columns"
                      f" + partitions {', '.join(c for c, _ in table.partitions)}")
        except (Problem, duckdb.Error) as e:
            report.fail(f"load {table.name}: {e}")
            unloaded.add(table.name)
    if today is None:
        newest = max(d for _, d in daily)
        today = dt.date.fromisoformat(newest) + dt.timedelta(days=1)
    for logical_id, sql in queries:
        expect = BY_QUERY.get(logical_id)
        if expect is None:
            report.fail(f"{logical_id}: no expectation in devtools/athena-check/athena_check.py (BY_QUERY)")
            continue
        if missing := sorted(t for t in unloaded if re.search(rf"\b{t}\b", sql)):
            report.fail(f"{logical_id}: not run, {', '.join(missing)} did not load")
            continue
        try:
            got = [tuple(plain(v) for v in row) for row in con.execute(translate(sql, today)).fetchall()]
        except (sqlglot.errors.SqlglotError, duckdb.Error) as e:
            report.fail(f"{logical_id}: the engine rejects it: {str(e).splitlines()[0]}")
            continue
        want = expect(daily, push, today)
        diff = compare(got, want)
        if diff:
            report.fail(f"{logical_id}: {diff}")
        else:
            report.ok(f"{logical_id}: {len(got)} rows as the emulator's data says (current_date {today})")
    check_malformed(con, archive, daily, report)
    return report


def check_malformed(con, archive: Path, daily: dict, report: Report) -> None:
    """The line of a day with odd counts: those counts null, their text in
    "malformed" (a map<string,string>, the key only when non-empty)."""
    pattern = str(archive / "daily" / "sdkappid=*" / "dt=*" / "*.json")
    try:
        rows = con.execute("SELECT sdkappid, dt, malformed FROM read_json(?, format='newline_delimited', "
                           "columns={'malformed': 'MAP(VARCHAR, VARCHAR)'}, hive_partitioning=true, "
                           "hive_types={'sdkappid': 'VARCHAR', 'dt': 'VARCHAR'})", [pattern]).fetchall()
    except duckdb.Error as e:
        report.fail(f"malformed: not a map<string,string>: {str(e).splitlines()[0]}")
        return
    got = {(a, d): m for a, d, m in rows}
    want = {key: malformed_of(row) for key, row in daily.items()}
    odd = sorted(k for k, m in want.items() if m)
    wrong = [f"{k}: got {got.get(k)}, expected {want[k] or None}" for k in sorted(want)
             if {f: v for f, v in (got.get(k) or {}).items() if daily[k].get(f) is not None} != want[k]]
    if wrong:
        report.fail(f"malformed: {'; '.join(wrong[:3])}")
    elif not odd:
        report.fail("malformed: no day with odd counts in the archive (devtools/local-run injects one)")
    else:
        report.ok(f"malformed: the odd counts of {odd} and no other day's")


def main() -> int:
    top = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    top.add_argument("archive", type=Path)
    top.add_argument("--template", type=Path, default=Path(__file__).resolve().parents[2] / "infra" / "template.yaml")
    top.add_argument("--today", type=dt.date.fromisoformat)
    args = top.parse_args()
    try:
        report = run_check(args.archive, load_template(args.template), args.today)
    except Exception as e:  # a bug or unreadable input: still a counted failure
        report = Report()
        report.fail(f"athena_check crashed: {type(e).__name__}: {e}")
    print("\n".join(report.lines))
    print(f"athena: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
