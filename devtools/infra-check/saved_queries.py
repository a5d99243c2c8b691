"""The stack's saved queries: CloudWatch Logs Insights query definitions over
the functions' log groups, and Athena named queries in its workgroup.

A Logs Insights query over a field nobody logs returns nothing, silently.
The functions log JSON whose keys are an envelope (timestamp, level, message,
requestId) and the fields of their tracing calls, so every field and message
a query names must be one infra/facts.json lists for that function, which
the function's tests/facts.rs finds in its log lines: a renamed field fails
there or here.

An Athena query may read only tables the template creates (operations_daily
and push_statistics) and only their columns, and must limit the dt partition
it reads.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cfn_support import FACTS, Checks, edit, props, resources_of_type

# Query definition -> the function whose log group it reads.
QUERY_FUNCTIONS = {
    "OpsPullRunsQuery": ("OpsPullFunction", "ops-pull"),
    "PushStatsErrorsQuery": ("PushStatsFunction", "push-stats"),
    "RotationStepsQuery": ("UsersigRefresherFunction", "usersig-refresher"),
}
# Queries that list every ERROR line beside their messages: a failure logged
# under a message of its own (push statistics, a panic) is never left out.
READS_EVERY_ERROR = {"OpsPullRunsQuery", "RotationStepsQuery"}
LOG_ENVELOPE = {"timestamp", "level", "message", "requestId"}
LOG_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}
INSIGHTS_WORDS = {
    "fields", "filter", "stats", "sort", "limit", "by", "as", "desc", "asc", "in", "and", "or", "not", "like",
    "ispresent", "isempty", "isblank", "count", "count_distinct", "latest", "earliest", "sum", "avg", "min", "max",
    "bin", "display", "dedup", "parse",
}

NAMED_QUERY_TABLES = {
    "DailyTrendNamedQuery": {"operations_daily"},
    "WeekOverWeekNamedQuery": {"operations_daily"},
    "PushRatesNamedQuery": {"push_statistics"},
    # Across apps: every app of the stack side by side.
    "AppsComparedNamedQuery": {"operations_daily"},
}
# The Glue tables' logical ids in the template.
TABLES = {"operations_daily": "OpsDailyTable", "push_statistics": "PushStatisticsTable"}
SQL_WORDS = {
    "select", "from", "where", "and", "or", "not", "as", "order", "by", "group", "with", "left", "join", "on", "null",
    "nullif", "round", "cast", "double", "bigint", "sum", "avg", "max", "min", "count", "date", "date_trunc",
    "date_format", "current_date", "interval", "day", "desc", "asc", "having", "limit", "in", "is", "between",
    "distinct", "case", "when", "then", "else", "end", "over", "partition", "lag", "coalesce",
}


def logged(binary: str) -> tuple[set[str], set[str]]:
    """The fields and messages infra/facts.json says the function logs
    (its tests/facts.rs runs it and finds each in its log lines)."""
    facts = FACTS["logs"][binary]
    return set(facts["fields"]), set(facts["messages"])


def query_terms(query: str) -> tuple[set[str], list[str], list[str]]:
    """The fields a Logs Insights query reads, and the literals it compares
    message and level with."""
    text = "\n".join(line.split("#", 1)[0] for line in query.splitlines())
    bare = re.sub(r'"[^"]*"', " ", text)
    aliases = set(re.findall(r"\bas\s+([A-Za-z_]\w*)", bare))
    names = set(re.findall(r"(?<![@\w.])([A-Za-z_][\w.]*)", bare)) - INSIGHTS_WORDS - aliases

    def compared(field: str) -> list[str]:
        found = re.findall(rf'\b{field}\s*(?:=|in)\s*(\[[^\]]*\]|"[^"]*")', text)
        return [literal for group in found for literal in re.findall(r'"([^"]*)"', group)]

    return names, compared("message"), compared("level")


# --------------------------------------------------------------------------- checks


def check_query_definitions(c: Checks, cfn: dict[str, Any]) -> None:
    definitions = resources_of_type(cfn, "AWS::Logs::QueryDefinition")
    c.equal(sorted(definitions), sorted(QUERY_FUNCTIONS), "Logs Insights query definitions")
    for query_id, (function_id, binary) in QUERY_FUNCTIONS.items():
        props = definitions.get(query_id, {}).get("Properties", {})
        group = cfn["Resources"][function_id]["Properties"].get("LoggingConfig", {}).get("LogGroup")
        c.equal(props.get("LogGroupNames"), [group], f"{query_id} reads {binary}'s log group")
        c.check(str(props.get("Name", {}).get("Fn::Sub", "")).startswith("${AWS::StackName}/"),
                f"{query_id} is filed under the stack's name")
        fields, messages = logged(binary)
        names, message_literals, level_literals = query_terms(props.get("QueryString", ""))
        c.check(bool(names - LOG_ENVELOPE), f"{query_id} reads the functions' own fields")
        unknown = sorted(names - fields - LOG_ENVELOPE)
        c.check(not unknown, f"{query_id} reads fields {binary} never logs: {unknown}")
        missing = sorted(set(message_literals) - messages)
        c.check(not missing, f"{query_id} matches messages {binary} never logs: {missing}")
        c.check(set(level_literals) <= LOG_LEVELS, f"{query_id} level values {level_literals}")
        if query_id in READS_EVERY_ERROR:
            c.check("ERROR" in level_literals, f"{query_id} misses failures logged under other messages")


def sql_identifiers(sql: str) -> tuple[set[str], set[str], set[str]]:
    """(tables read, names defined by the query, every identifier)."""
    text = re.sub(r"--[^\n]*", " ", sql)
    text = re.sub(r"'[^']*'", " ", text)
    text = re.sub(r'"(\w+)"', r"\1", text)
    lowered = text.lower()
    ctes = set(re.findall(r"\b([a-z_]\w*)\s+as\s*\(", lowered))
    sources = re.findall(r"\b(?:from|join)\s+([a-z_]\w*)(?:\s+(?!on\b|where\b|left\b|join\b|group\b|order\b)([a-z_]\w*))?",
                         lowered)
    tables = {table for table, _ in sources} - ctes
    defined = ctes | {alias for _, alias in sources if alias} | set(re.findall(r"\bas\s+([a-z_]\w*)", lowered))
    words = {part for token in re.findall(r"[a-z_][\w.]*", lowered) for part in token.split(".")}
    return tables, defined, words


def check_named_queries(c: Checks, cfn: dict[str, Any]) -> None:
    queries = resources_of_type(cfn, "AWS::Athena::NamedQuery")
    c.equal(sorted(queries), sorted(NAMED_QUERY_TABLES), "Athena named queries")
    columns = {}
    for name, logical_id in TABLES.items():
        table = cfn["Resources"].get(logical_id, {}).get("Properties", {}).get("TableInput", {})
        columns[name] = ({col["Name"] for col in table.get("StorageDescriptor", {}).get("Columns", [])}
                         | {key["Name"] for key in table.get("PartitionKeys", [])})
    c.check(len(columns["operations_daily"]) > 30, "read operations_daily's columns from the template")
    c.check(len(columns["push_statistics"]) > 10, "read push_statistics' columns from the template")
    names = [q["Properties"].get("Name") for q in queries.values()]
    c.equal(len(set(names)), len(names), "named queries have distinct names")
    for query_id, expected_tables in NAMED_QUERY_TABLES.items():
        props = queries.get(query_id, {}).get("Properties", {})
        c.equal(props.get("Database"), {"Ref": "OpsDatabase"}, f"{query_id} database")
        c.equal(props.get("WorkGroup"), {"Ref": "AthenaWorkGroup"}, f"{query_id} workgroup")
        c.check(bool(props.get("Description")), f"{query_id} has a description")
        sql = props.get("QueryString", "")
        tables, defined, words = sql_identifiers(sql)
        c.equal(tables, expected_tables, f"{query_id} tables")
        known = SQL_WORDS | defined | tables | {col for t in tables for col in columns.get(t, set())}
        c.check(not words - known, f"{query_id} names unknown columns or words: {sorted(words - known)}")
        c.check(re.search(r"\bdt\s*>=", sql) is not None, f"{query_id} limits the dt partitions it reads")


SAVED_QUERY_CHECKS: list[Callable[[Checks, dict[str, Any]], None]] = [check_query_definitions, check_named_queries]


# --------------------------------------------------------------------------- mutations


def _edit_query(sam: dict[str, Any], logical_id: str, old: str, new: str) -> None:
    edit(props(sam, logical_id), "QueryString", old, new, 1)


SAVED_QUERY_MUTATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mutate_query_wrong_log_group": lambda sam: props(sam, "PushStatsErrorsQuery").update(
        LogGroupNames=[{"Ref": "OpsPullLogGroup"}]),
    "mutate_query_unlogged_field": lambda sam: _edit_query(sam, "OpsPullRunsQuery", "days_written", "days_writen"),
    "mutate_query_unlogged_message": lambda sam: _edit_query(
        sam, "PushStatsErrorsQuery", '"push-stats refused"', '"push-stats rejected"'),
    "mutate_runs_query_misses_push_failures": lambda sam: _edit_query(
        sam, "OpsPullRunsQuery", ' or level = "ERROR"', ""),
    "mutate_query_field_of_other_function": lambda sam: _edit_query(
        sam, "RotationStepsQuery", "fields @timestamp,", "fields @timestamp, days_failed,"),
    "mutate_named_query_primary_workgroup": lambda sam: props(sam, "DailyTrendNamedQuery").update(WorkGroup="primary"),
    "mutate_named_query_other_database": lambda sam: props(sam, "PushRatesNamedQuery").update(Database="default"),
    "mutate_named_query_unknown_column": lambda sam: _edit_query(
        sam, "WeekOverWeekNamedQuery", "sum(upmsgnum)", "sum(upmsgnums)"),
    "mutate_named_query_unknown_table": lambda sam: _edit_query(
        sam, "DailyTrendNamedQuery", "FROM operations_daily", "FROM operations"),
    "mutate_named_query_full_scan": lambda sam: _edit_query(
        sam, "PushRatesNamedQuery", "WHERE dt >= date_format(current_date - INTERVAL '30' DAY, '%Y-%m-%d')\n", ""),
    "mutate_named_query_push_code_column": lambda sam: _edit_query(
        sam, "PushRatesNamedQuery", "       platform,\n", "       platform_id,\n"),
    "mutate_cross_app_query_other_database": lambda sam: props(sam, "AppsComparedNamedQuery").update(Database="default"),
}
