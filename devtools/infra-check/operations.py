"""Operations wiring of infra/template.yaml: the alarms (whom they notify for
each combination of the notification parameters, how each is built, and
CloudWatch's limits on it), the rules guarding the alarm parameters, the
dashboard, and the metric contract.

The contract is infra/metrics.json, the one list of metrics the functions
emit: every metric the dashboard and the alarms read must be listed there,
with the same dimensions, in the namespace the MetricsNamespace parameter
names. The dashboard body is rendered (Fn::Sub with sample values that differ
from the defaults, so a hard-coded default shows) and parsed as JSON; its
SEARCH expressions and the alarms' Metrics Insights queries are parsed into
(namespace, metric, dimensions) uses.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any, Callable, NamedTuple

from cfn_support import (
    check_patterns,
    Checks, failed_rules, parameter_values, render_sub, resolve_template, resources_of_type, rule_parameters,
)

ROOT = Path(__file__).resolve().parents[2]
METRICS_CONTRACT = ROOT / "infra" / "metrics.json"

FUNCTION_IDS = ["OpsPullFunction", "PushStatsFunction", "UsersigRefresherFunction"]
EXPECTED_ALARMS = {
    "OpsPullErrorsAlarm", "PushStatsErrorsAlarm", "UsersigRefresherErrorsAlarm", "OpsPullDeadLetterAlarm",
    "OpsPullHeartbeatAlarm", "NewestDayLagAlarm", "UserSigHoursLeftAlarm", "PushStats5xxAlarm",
    "PushDaysKeptArchivedAlarm",
}
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops-pager"
NOTIFY_SCENARIOS = {
    "no target": {"AlarmEmail": "", "AlarmTopicArn": ""},
    "e-mail": {"AlarmEmail": "ops@example.com", "AlarmTopicArn": ""},
    "topic": {"AlarmEmail": "", "AlarmTopicArn": TOPIC},
    "e-mail + topic": {"AlarmEmail": "ops@example.com", "AlarmTopicArn": TOPIC},
}
# Deploy-time values unlike the defaults: a hard-coded default would show.
SAMPLE_PARAMS = {
    "MetricsNamespace": "Acme/Chat-Test", "NewestDayLagAlarmHours": "60", "UserSigAlarmHoursLeft": "72",
    "PushStats5xxAlarmThreshold": "3",
}
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012", "AWS::StackName": "ops-stack",
          "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

# AWS's own metrics the dashboard and alarms may read (not in the contract).
AWS_METRICS = {
    ("AWS/Lambda", "Errors"): ("FunctionName",),
    ("AWS/Lambda", "Duration"): ("FunctionName",),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): ("QueueName",),
}
# What the dashboard must show (issue 12): the business per app, the pipeline.
DASHBOARD_MUST_SHOW = {
    "ActiveUserNum", "MaxOnlineNum", "UpMsgNum", "DownMsgNum", "RegistUserNumOneDay", "DaysWritten", "DaysFailed",
    "NewestDayLagHours", "UserSigHoursLeft", "Requests", "UpstreamLatency", "RunSucceeded",
    # The push history (issue 13), beside the daily archive's days.
    "PushDaysWritten", "PushDaysFailed", "PushDaysKeptArchived",
}
# Dimension values the metrics.json "when" texts fix.
FIXED_DIMENSION_VALUES = {"Function": {"ops-pull"}, "StatusClass": {"2xx", "4xx", "5xx"}}
# "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds.
# For alarms with a period of less than one hour (3,600 seconds), the total
# evaluation period can't be longer than one day (86,400 seconds)."
# (PutMetricAlarm); Metrics Insights alarms evaluate the latest 3 hours only.
MAX_WINDOW, MAX_WINDOW_SUB_HOUR, MAX_WINDOW_METRICS_INSIGHTS = 604_800, 86_400, 10_800
TENCENT_RETENTION_HOURS = 30 * 24

SEARCH = re.compile(
    r"""SEARCH\('\{"?(?P<ns>[^",}]+)"?(?P<dims>(?:,\s*[A-Za-z0-9_]+)*)\}\s+MetricName="(?P<name>[A-Za-z0-9_]+)"',"""
    r"""\s*'(?P<stat>[A-Za-z0-9.]+)',\s*(?P<period>\d+)\)""")
INSIGHTS = re.compile(
    r"""SELECT (?P<stat>MAX|MIN|AVG|SUM|COUNT)\((?P<name>[A-Za-z0-9_]+)\) FROM SCHEMA\("(?P<ns>[^"]+)\""""
    r"""(?P<dims>(?:,\s*[A-Za-z0-9_]+)*)\)""")


class MetricUse(NamedTuple):
    where: str
    namespace: Any
    name: str
    dimensions: dict[str, Any]  # dimension -> fixed value, or None (any: SEARCH / SCHEMA)


# --------------------------------------------------------------------------- helpers


def load_contract() -> tuple[dict[str, Any], dict[str, set[tuple[str, ...]]]]:
    doc = json.loads(METRICS_CONTRACT.read_text())
    metrics = {m["name"]: {tuple(sorted(d)) for d in m["dimensions"]} for m in doc["metrics"]}
    business = doc["business_metrics"]
    for name in business["names"]:
        metrics[name] = {tuple(sorted(d)) for d in business["dimensions"]}
    return doc["namespace"], metrics


def physical(logical_id: str) -> str:
    return f"phys-{logical_id}"


def alarm_arn(logical_id: str) -> str:
    return f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{physical(logical_id)}"


def render(sub: Any, params: dict[str, str]) -> str:
    """An Fn::Sub string as deployed: parameters from params, pseudo
    parameters and resources from samples; ${!x} stays ${x}."""
    return render_sub(sub, {**PSEUDO, **params}, lambda name: alarm_arn(name[:-4]) if name.endswith(".Arn") else physical(name))


def deploy_params(cfn: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    return {k: str(v) for k, v in parameter_values(cfn, {"SdkAppIds": "1400000001,1400000002", **overrides}).items()}


def dashboard_body(cfn: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    dashboards = resources_of_type(cfn, "AWS::CloudWatch::Dashboard")
    body = next(iter(dashboards.values()))["Properties"]["DashboardBody"]
    return json.loads(render(body["Fn::Sub"], params))


def split_dims(text: str) -> list[str]:
    return [d.strip() for d in text.split(",") if d.strip()]


# --------------------------------------------------------------------------- metric uses


def dashboard_uses(body: dict[str, Any]) -> list[MetricUse]:
    uses = []
    for widget in body.get("widgets", []):
        title = widget.get("properties", {}).get("title", "?")
        for entry in widget.get("properties", {}).get("metrics", []) if widget.get("type") == "metric" else []:
            where = f"dashboard widget {title!r}"
            if entry and isinstance(entry[0], dict):
                expression = entry[0].get("expression", "")
                match = SEARCH.fullmatch(expression)
                if not match:
                    uses.append(MetricUse(f"{where}: unparsed expression {expression!r}", None, "", {}))
                    continue
                uses.append(MetricUse(where, match["ns"], match["name"], dict.fromkeys(split_dims(match["dims"]))))
                continue
            names = [v for v in entry if isinstance(v, str)]
            if len(names) < 2 or len(names) % 2 or any(v in (".", "...") for v in names):
                uses.append(MetricUse(f"{where}: unparsed metric {entry!r}", None, "", {}))
                continue
            uses.append(MetricUse(where, names[0], names[1], dict(zip(names[2::2], names[3::2]))))
    return uses


def alarm_uses(cfn: dict[str, Any], params: dict[str, str]) -> list[MetricUse]:
    def value(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"} and node["Ref"] in params:
            return params[node["Ref"]]
        if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
            return render(node["Fn::Sub"], params)
        return node

    uses = []
    for alarm_id, alarm in resources_of_type(cfn, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        if "MetricName" in props:
            dims = {d["Name"]: value(d["Value"]) for d in props.get("Dimensions", [])}
            uses.append(MetricUse(alarm_id, value(props.get("Namespace")), props["MetricName"], dims))
        for query in props.get("Metrics", []):
            expression = value(query.get("Expression", ""))
            match = INSIGHTS.fullmatch(str(expression))
            if not match or "MetricStat" in query:
                uses.append(MetricUse(f"{alarm_id}: unparsed query {query!r}", None, "", {}))
                continue
            uses.append(MetricUse(alarm_id, match["ns"], match["name"], dict.fromkeys(split_dims(match["dims"]))))
    return uses


def check_use(c: Checks, use: MetricUse, namespace: str, contract: dict[str, set[tuple[str, ...]]],
              functions: list[Any], queues: list[Any]) -> None:
    if use.namespace is None:
        c.failures.append(use.where)
        return
    dims = tuple(sorted(use.dimensions))
    if str(use.namespace).startswith("AWS/"):
        allowed = AWS_METRICS.get((use.namespace, use.name))
        c.check(allowed == dims, f"{use.where}: {use.namespace} {use.name} {dims} is not an AWS metric we use")
        if "FunctionName" in use.dimensions:
            c.check(use.dimensions["FunctionName"] in functions,
                    f"{use.where}: FunctionName {use.dimensions['FunctionName']!r} is not one of the stack's functions")
        if "QueueName" in use.dimensions:
            c.check(use.dimensions["QueueName"] in queues, f"{use.where}: QueueName is not the dead-letter queue")
        return
    c.equal(use.namespace, namespace, f"{use.where}: {use.name} namespace (the MetricsNamespace parameter)")
    if c.check(use.name in contract, f"{use.where}: {use.name} is not in infra/metrics.json"):
        c.check(dims in contract[use.name], f"{use.where}: {use.name} dimensions {dims}, "
                                            f"metrics.json has {sorted(contract[use.name])}")
    for dim, fixed in use.dimensions.items():
        if dim == "SDKAppID":
            c.check(fixed is None, f"{use.where}: {use.name} names one app ({fixed}); per-app metrics use SEARCH/SCHEMA")
        elif dim in FIXED_DIMENSION_VALUES:
            c.check(fixed in FIXED_DIMENSION_VALUES[dim] or fixed is None,
                    f"{use.where}: {use.name} {dim}={fixed!r} is never emitted")


def check_metric_contract(c: Checks, cfn: dict[str, Any]) -> None:
    """One list, no drift: every metric the dashboard and the alarms read is
    in infra/metrics.json, with its dimensions, in MetricsNamespace."""
    namespace, contract = load_contract()
    c.check(len(contract) >= 41, f"read the metrics from infra/metrics.json: {len(contract)}")
    spec = cfn["Parameters"].get("MetricsNamespace", {})
    c.equal(namespace.get("template_parameter"), "MetricsNamespace", "metrics.json names the template parameter")
    c.equal(spec.get("Default"), namespace.get("default"), "MetricsNamespace default = metrics.json's")
    for function_id in FUNCTION_IDS:
        env = cfn["Resources"][function_id]["Properties"].get("Environment", {}).get("Variables", {})
        c.equal(env.get(namespace.get("variable")), {"Ref": "MetricsNamespace"},
                f"{function_id} gets {namespace.get('variable')} from MetricsNamespace")
    params = deploy_params(cfn, SAMPLE_PARAMS)
    board = dashboard_uses(dashboard_body(cfn, params))
    alarms = alarm_uses(cfn, params)
    c.check(len(board) >= 20 and len(alarms) == len(EXPECTED_ALARMS), f"metric uses found: {len(board)}, {len(alarms)}")
    for use in board:
        check_use(c, use, SAMPLE_PARAMS["MetricsNamespace"], contract,
                  [physical(f) for f in FUNCTION_IDS], [physical("OpsPullDeadLetterQueue")])
    for use in alarms:
        check_use(c, use, SAMPLE_PARAMS["MetricsNamespace"], contract, [{"Ref": f} for f in FUNCTION_IDS],
                  [{"Fn::GetAtt": ["OpsPullDeadLetterQueue", "QueueName"]}])
    shown = {use.name for use in board}
    c.check(DASHBOARD_MUST_SHOW <= shown, f"dashboard misses {sorted(DASHBOARD_MUST_SHOW - shown)}")
    for metric in ["Errors", "Duration"]:
        found = sorted(u.dimensions.get("FunctionName", "") for u in board if u.name == metric)
        c.equal(found, sorted(physical(f) for f in FUNCTION_IDS), f"dashboard {metric} of each function")


# --------------------------------------------------------------------------- alarms


def expected_actions(values: dict[str, str]) -> list[Any]:
    return ([{"Ref": "AlarmTopicArn"}] if values["AlarmTopicArn"] else []) + (
        [{"Ref": "AlarmTopic"}] if values["AlarmEmail"] else [])


def check_alarm_actions(c: Checks, cfn: dict[str, Any]) -> None:
    """Every alarm tells the operator's topic and/or the e-mail topic, on
    ALARM and on OK, for each combination of the two parameters."""
    for label, values in NOTIFY_SCENARIOS.items():
        r = resolve_template(cfn, values)
        expected = expected_actions(values)
        c.equal("AlarmTopic" in r["Resources"], bool(values["AlarmEmail"]), f"[{label}] e-mail topic exists")
        for alarm_id in sorted(resources_of_type(r, "AWS::CloudWatch::Alarm")):
            props = r["Resources"][alarm_id]["Properties"]
            c.equal(props.get("AlarmActions", []), expected, f"[{label}] {alarm_id} AlarmActions")
            c.equal(props.get("OKActions", []), expected, f"[{label}] {alarm_id} OKActions")
            c.check("InsufficientDataActions" not in props, f"[{label}] {alarm_id} has InsufficientDataActions")
        note = r["Outputs"].get("AlarmNotifications", {}).get("Value")
        if isinstance(note, dict) and set(note) == {"Ref"}:
            note = {"Fn::Sub": "${" + note["Ref"] + "}"}
        text = render(note["Fn::Sub"], values) if isinstance(note, dict) and "Fn::Sub" in note else str(note)
        c.equal((TOPIC in text, physical("AlarmTopic") in text, text.startswith("WARNING: nobody")),
                (bool(values["AlarmTopicArn"]), bool(values["AlarmEmail"]), not expected),
                f"[{label}] AlarmNotifications output: {text!r}")


def window(props: dict[str, Any], period: int) -> int:
    return period * int(props.get("EvaluationPeriods", 0))


def check_alarm_limits(c: Checks, alarm_id: str, props: dict[str, Any]) -> None:
    evaluations = int(props.get("EvaluationPeriods", 0))
    c.check(1 <= int(props.get("DatapointsToAlarm", evaluations)) <= evaluations, f"{alarm_id} DatapointsToAlarm")
    c.check(bool(props.get("AlarmDescription")), f"{alarm_id} has a description")
    if "Metrics" in props:
        returned = [q for q in props["Metrics"] if q.get("ReturnData", True)]
        c.equal(len(returned), 1, f"{alarm_id} returns one time series")
        for query in props["Metrics"]:
            period = int(query.get("Period", 0))
            c.check(period >= 60 and period % 60 == 0, f"{alarm_id} period {period}")
            c.check(window(props, period) <= MAX_WINDOW_METRICS_INSIGHTS,
                    f"{alarm_id}: Metrics Insights alarms see 3 hours, window is {window(props, period)} s")
        return
    period = int(props.get("Period", 0))
    c.check(period in (10, 20, 30) or (period > 0 and period % 60 == 0), f"{alarm_id} period {period}")
    limit = MAX_WINDOW if period >= 3600 else MAX_WINDOW_SUB_HOUR
    c.check(window(props, period) <= limit, f"{alarm_id}: Period x EvaluationPeriods {window(props, period)} > {limit}")


def check_alarm_constructions(c: Checks, cfn: dict[str, Any]) -> None:
    alarms = resources_of_type(cfn, "AWS::CloudWatch::Alarm")
    c.equal(set(alarms), EXPECTED_ALARMS, "alarms")
    props = {k: v["Properties"] for k, v in alarms.items()}
    for alarm_id, p in props.items():
        check_alarm_limits(c, alarm_id, p)
    heartbeat = props.get("OpsPullHeartbeatAlarm", {})
    c.equal(heartbeat.get("Namespace"), {"Ref": "MetricsNamespace"}, "heartbeat namespace")
    c.equal((heartbeat.get("MetricName"), heartbeat.get("Dimensions")),
            ("RunSucceeded", [{"Name": "Function", "Value": "ops-pull"}]), "heartbeat metric")
    c.check(heartbeat.get("Statistic") in ("Maximum", "Sum"), "heartbeat counts successes")
    c.equal((heartbeat.get("ComparisonOperator"), heartbeat.get("Threshold")), ("LessThanThreshold", 1),
            "heartbeat: alarm when no run succeeded")
    c.equal(heartbeat.get("TreatMissingData"), "breaching", "heartbeat: no data is breaching")
    c.equal(heartbeat.get("DatapointsToAlarm", heartbeat.get("EvaluationPeriods")), heartbeat.get("EvaluationPeriods"),
            "heartbeat: one success anywhere in the window keeps it quiet")
    c.equal(window(heartbeat, int(heartbeat.get("Period", 0))), 26 * 3600, "heartbeat window: 26 hours")
    # A partial push answer kept (any app, any count above 0).
    for alarm_id, stat, metric, operator, threshold in [
        ("NewestDayLagAlarm", "MAX", "NewestDayLagHours", "GreaterThanThreshold", {"Ref": "NewestDayLagAlarmHours"}),
        ("UserSigHoursLeftAlarm", "MIN", "UserSigHoursLeft", "LessThanThreshold", {"Ref": "UserSigAlarmHoursLeft"}),
        ("PushDaysKeptArchivedAlarm", "MAX", "PushDaysKeptArchived", "GreaterThanThreshold", 0),
    ]:
        p = props.get(alarm_id, {})
        queries = p.get("Metrics", [])
        expression = queries[0].get("Expression", {}).get("Fn::Sub", "") if queries else ""
        c.equal(expression, f'SELECT {stat}({metric}) FROM SCHEMA("${{MetricsNamespace}}", SDKAppID)',
                f"{alarm_id} query: {stat} across apps")
        c.equal((p.get("ComparisonOperator"), p.get("Threshold")), (operator, threshold),
                f"{alarm_id} condition")
        c.equal(p.get("TreatMissingData"), "ignore", f"{alarm_id}: state kept between daily values")
    five = props.get("PushStats5xxAlarm", {})
    c.equal((five.get("Namespace"), five.get("MetricName"), five.get("Dimensions"), five.get("Statistic")),
            ({"Ref": "MetricsNamespace"}, "Requests", [{"Name": "StatusClass", "Value": "5xx"}], "Sum"),
            "5xx alarm metric")
    c.equal((five.get("Period"), five.get("EvaluationPeriods"), five.get("ComparisonOperator"), five.get("Threshold")),
            (300, 1, "GreaterThanOrEqualToThreshold", {"Ref": "PushStats5xxAlarmThreshold"}), "5xx alarm condition")
    c.equal(five.get("TreatMissingData"), "notBreaching", "5xx alarm: no requests is fine")
    lag = cfn["Parameters"].get("NewestDayLagAlarmHours", {})
    c.check(int(lag.get("MaxValue", 10**6)) < TENCENT_RETENTION_HOURS and int(lag.get("Default", 0)) == 48,
            "lag threshold: default 48 h, always before Tencent's 30 days")


# --------------------------------------------------------------------------- parameters and rules


def check_operations_parameters(c: Checks, cfn: dict[str, Any]) -> None:
    params = cfn["Parameters"]
    samples = {
        "AlarmTopicArn": (["", TOPIC, "arn:aws-cn:sns:cn-north-1:123456789012:a_b-c"],
                          ["ops-pager", f"{TOPIC}.fifo", "arn:aws:sqs:eu-west-1:123456789012:q",
                           "arn:aws:sns:eu-west-1:1234:x"]),
        "MetricsNamespace": (["TencentChat", "Acme/Chat-Test", "a.b_c#d:e"],
                             ["", "AWS/Lambda", "has space", 'quo"te', "it's", "x" * 256]),
    }
    check_patterns(c, params, samples)
    c.equal(params.get("AlarmsReachNobody", {}).get("AllowedValues"), ["", "acknowledged"], "AlarmsReachNobody values")
    for name in ["AlarmTopicArn", "AlarmsReachNobody"]:
        c.equal(params.get(name, {}).get("Default"), "", f"{name} default")
    grouped = [p for group in cfn.get("Metadata", {}).get("AWS::CloudFormation::Interface", {})
               .get("ParameterGroups", []) for p in group.get("Parameters", [])]
    c.equal(sorted(grouped), sorted(params), "every parameter is in exactly one group")


def check_alarm_rules(c: Checks, cfn: dict[str, Any]) -> None:
    """Someone is told or it is acknowledged; the UserSig threshold stays
    below what a UserSig has left just before its rotation."""
    rules = cfn.get("Rules", {})
    for email, arn, ack in itertools.product(["", "ops@example.com"], ["", TOPIC], ["", "acknowledged"]):
        values = deploy_params(cfn, {"AlarmEmail": email, "AlarmTopicArn": arn, "AlarmsReachNobody": ack})
        failed = failed_rules(rules, values)
        reached = bool(email or arn or ack)
        c.equal(bool(failed), not reached, f"rules with e-mail={bool(email)} topic={bool(arn)} ack={bool(ack)}: {failed}")
        for name in failed:
            text = " ".join(a.get("AssertDescription", "") for a in rules[name]["Assertions"])
            c.check(all(w in text for w in ["AlarmEmail", "AlarmTopicArn", "AlarmsReachNobody=acknowledged"]),
                    f"rule {name} says how to fix it: {text!r}")
    params = cfn["Parameters"]
    wrong = []
    for interval, validity, hours in itertools.product(params["RotationIntervalDays"]["AllowedValues"],
                                                       params["UserSigValidityDays"]["AllowedValues"],
                                                       params["UserSigAlarmHoursLeft"]["AllowedValues"]):
        if int(validity) < 2 * int(interval):
            continue  # refused by the interval/validity rules
        values = deploy_params(cfn, {"AlarmEmail": "ops@example.com", "RotationIntervalDays": interval,
                                     "UserSigValidityDays": validity, "UserSigAlarmHoursLeft": hours})
        accepted = not failed_rules(rules, values)
        quiet = int(hours) <= (int(validity) - int(interval) - 1) * 24
        if accepted != quiet:
            wrong.append((interval, validity, hours, accepted))
    c.check(not wrong, f"rules accept/refuse the wrong (interval, validity, UserSig alarm hours): {wrong}")
    c.check(not failed_rules(rules, deploy_params(cfn, {"AlarmEmail": "ops@example.com"})),
            "the defaults with an alarm e-mail deploy")
    c.check(any("AlarmsReachNobody" in rule_parameters(r) for r in rules.values()), "a rule reads AlarmsReachNobody")


# --------------------------------------------------------------------------- dashboard


def check_dashboard(c: Checks, cfn: dict[str, Any]) -> None:
    dashboards = resources_of_type(cfn, "AWS::CloudWatch::Dashboard")
    c.equal(list(dashboards), ["OperationsDashboard"], "one dashboard")
    for params in [deploy_params(cfn, {}), deploy_params(cfn, SAMPLE_PARAMS)]:
        try:
            body = dashboard_body(cfn, params)
        except (json.JSONDecodeError, KeyError, StopIteration) as error:
            c.failures.append(f"dashboard body is not JSON with {params['MetricsNamespace']}: {error}")
            return
    widgets = body.get("widgets", [])
    taken: set[tuple[int, int]] = set()
    for w in widgets:
        title = w.get("properties", {}).get("title") or w.get("properties", {}).get("markdown", "")[:30]
        c.check(0 <= w["x"] and w["x"] + w["width"] <= 24, f"widget {title!r} fits the 24 columns")
        cells = set(itertools.product(range(w["x"], w["x"] + w["width"]), range(w["y"], w["y"] + w["height"])))
        c.check(not cells & taken, f"widget {title!r} overlaps another")
        taken |= cells
    graphs = [w for w in widgets if w["type"] == "metric"]
    texts = [w for w in widgets if w["type"] == "text"]
    for w in graphs:
        c.equal(w["properties"].get("region"), PSEUDO["AWS::Region"], f"{w['properties'].get('title')} region")
    for row in sorted({w["y"] for w in graphs}):
        c.check(any(t["y"] + t["height"] == row and t["width"] == 24 for t in texts),
                f"the graph row at y={row} has a text widget explaining it above")
    alarms = [w["properties"].get("alarms", []) for w in widgets if w["type"] == "alarm"]
    c.equal(sorted(a for found in alarms for a in found),
            sorted(alarm_arn(a) for a in resources_of_type(cfn, "AWS::CloudWatch::Alarm")), "alarm widget: every alarm")
    for metric, parameter in [("NewestDayLagHours", "NewestDayLagAlarmHours"), ("UserSigHoursLeft", "UserSigAlarmHoursLeft")]:
        marks = [a.get("value") for w in graphs if metric in json.dumps(w["properties"].get("metrics"))
                 for a in w["properties"].get("annotations", {}).get("horizontal", [])]
        c.equal(marks, [int(SAMPLE_PARAMS[parameter])], f"{metric} graph marks the alarm threshold")
    url = cfn["Outputs"].get("DashboardUrl", {}).get("Value", {}).get("Fn::Sub", "")
    c.check("#dashboards/dashboard/${OperationsDashboard}" in url, f"DashboardUrl output: {url!r}")


OPERATIONS_CHECKS: list[Callable[[Checks, dict[str, Any]], None]] = [
    check_operations_parameters, check_alarm_rules, check_alarm_actions, check_alarm_constructions,
    check_metric_contract, check_dashboard,
]
