"""Deliberate breakages of the operations parts of infra/template.yaml
(dashboard, alarms, alarm rules, metrics namespace): check_template.py applies
each to the SAM template and fails unless operations.py's checks notice."""

from __future__ import annotations

from typing import Any


# --------------------------------------------------------------------------- mutations


def _res(sam: dict[str, Any]) -> dict[str, Any]:
    return sam["Resources"]


def _props(sam: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return _res(sam)[logical_id]["Properties"]


def _edit_body(sam: dict[str, Any], old: str, new: str) -> None:
    body = _props(sam, "OperationsDashboard")["DashboardBody"]
    if old not in body["Fn::Sub"]:
        raise KeyError(old)
    body["Fn::Sub"] = body["Fn::Sub"].replace(old, new, 1)


def _search(metric: str, dims: str = "SDKAppID") -> str:
    return '{\\"${MetricsNamespace}\\",' + dims + '} MetricName=\\"' + metric + '\\"'


def mutate_dashboard_hardcoded_namespace(sam: dict[str, Any]) -> None:
    _edit_body(sam, _search("ActiveUserNum"), _search("ActiveUserNum").replace("${MetricsNamespace}", "TencentChat"))


def mutate_dashboard_unknown_metric(sam: dict[str, Any]) -> None:
    _edit_body(sam, _search("MaxOnlineNum"), _search("MaxOnlineUsers"))


def mutate_dashboard_wrong_dimensions(sam: dict[str, Any]) -> None:
    _edit_body(sam, _search("DaysFailed"), _search("DaysFailed", "SDKAppID,Function"))


def mutate_dashboard_one_app(sam: dict[str, Any]) -> None:
    old = ('[{"id": "registered", "label": "${!PROP(\'Dim.SDKAppID\')}", "expression": "SEARCH(\''
           + _search("RegistUserNumOneDay") + '\', \'Maximum\', 86400)"}]')
    _edit_body(sam, old, '["${MetricsNamespace}", "RegistUserNumOneDay", "SDKAppID", "1400000000"]')


def mutate_dashboard_broken_json(sam: dict[str, Any]) -> None:
    _edit_body(sam, '"period": 86400, "yAxis"', '"period": 86400 "yAxis"')


def mutate_dashboard_drops_alarm(sam: dict[str, Any]) -> None:
    _edit_body(sam, '"${UserSigHoursLeftAlarm.Arn}", ', "")


def mutate_dashboard_duration_of_one_function_twice(sam: dict[str, Any]) -> None:
    _edit_body(sam, '"Duration", "FunctionName", "${PushStatsFunction}"', '"Duration", "FunctionName", "${OpsPullFunction}"')


def mutate_dashboard_threshold_literal(sam: dict[str, Any]) -> None:
    _edit_body(sam, '"value": ${NewestDayLagAlarmHours}', '"value": 48')


def mutate_dashboard_row_without_text(sam: dict[str, Any]) -> None:
    _edit_body(sam, '{"type": "text", "x": 0, "y": 24, "width": 24, "height": 3,', '{"type": "text", "x": 0, "y": 24, "width": 24, "height": 2,')


def mutate_lag_query_hardcoded_namespace(sam: dict[str, Any]) -> None:
    query = _props(sam, "NewestDayLagAlarm")["Metrics"][0]
    query["Expression"] = {"Fn::Sub": query["Expression"]["Fn::Sub"].replace("${MetricsNamespace}", "TencentChat")}


def mutate_usersig_query_maximum(sam: dict[str, Any]) -> None:
    query = _props(sam, "UserSigHoursLeftAlarm")["Metrics"][0]
    query["Expression"] = {"Fn::Sub": query["Expression"]["Fn::Sub"].replace("MIN(", "MAX(")}


def mutate_heartbeat_not_breaching(sam: dict[str, Any]) -> None:
    _props(sam, "OpsPullHeartbeatAlarm")["TreatMissingData"] = "notBreaching"


def mutate_heartbeat_over_seven_days(sam: dict[str, Any]) -> None:
    _props(sam, "OpsPullHeartbeatAlarm").update(EvaluationPeriods=200, DatapointsToAlarm=200)


def mutate_heartbeat_sub_hour_periods(sam: dict[str, Any]) -> None:
    # Still 26 hours, but 5-minute periods may span one day at most.
    _props(sam, "OpsPullHeartbeatAlarm").update(Period=300, EvaluationPeriods=312, DatapointsToAlarm=312)


def mutate_heartbeat_any_hour(sam: dict[str, Any]) -> None:
    _props(sam, "OpsPullHeartbeatAlarm")["DatapointsToAlarm"] = 1


def mutate_lag_alarm_daily_period(sam: dict[str, Any]) -> None:
    _props(sam, "NewestDayLagAlarm")["Metrics"][0]["Period"] = 86400


def mutate_5xx_wrong_class(sam: dict[str, Any]) -> None:
    _props(sam, "PushStats5xxAlarm")["Dimensions"][0]["Value"] = "5XX"


def mutate_alarm_metric_not_in_contract(sam: dict[str, Any]) -> None:
    _props(sam, "PushStats5xxAlarm")["MetricName"] = "Requests5xx"


def mutate_alarm_email_only(sam: dict[str, Any]) -> None:
    actions = _props(sam, "PushStats5xxAlarm")["AlarmActions"]
    actions.remove(next(a for a in actions if a["Fn::If"][0] == "HasAlarmTopicArn"))


def mutate_alarm_without_ok(sam: dict[str, Any]) -> None:
    del _props(sam, "OpsPullHeartbeatAlarm")["OKActions"]


def mutate_no_acknowledgement_rule(sam: dict[str, Any]) -> None:
    del sam["Rules"]["AlarmsReachSomeone"]


def mutate_acknowledgement_rule_or(sam: dict[str, Any]) -> None:
    rule = sam["Rules"]["AlarmsReachSomeone"]
    rule["RuleCondition"] = {"Fn::Or": rule["RuleCondition"]["Fn::And"]}


def mutate_usersig_rule_loose(sam: dict[str, Any]) -> None:
    sam["Rules"]["UserSigAlarmQuietWith7DayValidity"]["Assertions"][0]["Assert"]["Fn::Contains"][0].append("168")


def mutate_no_metrics_namespace_env(sam: dict[str, Any]) -> None:
    del sam["Globals"]["Function"]["Environment"]


def mutate_namespace_default_drift(sam: dict[str, Any]) -> None:
    sam["Parameters"]["MetricsNamespace"]["Default"] = "TencentChatOps"


def mutate_notifications_output_without_warning(sam: dict[str, Any]) -> None:
    sam["Outputs"]["AlarmNotifications"]["Value"] = {"Ref": "AlarmTopicArn"}


def mutate_topic_pattern_open(sam: dict[str, Any]) -> None:
    sam["Parameters"]["AlarmTopicArn"]["AllowedPattern"] = "^.*$"


def mutate_kept_alarm_above_one(sam: dict[str, Any]) -> None:
    _props(sam, "PushDaysKeptArchivedAlarm")["Threshold"] = 1


def mutate_kept_alarm_one_app(sam: dict[str, Any]) -> None:
    query = _props(sam, "PushDaysKeptArchivedAlarm")["Metrics"][0]
    query["Expression"] = {"Fn::Sub": query["Expression"]["Fn::Sub"].replace("MAX(", "MIN(")}


OPERATIONS_MUTATIONS = [
    mutate_kept_alarm_above_one, mutate_kept_alarm_one_app,
    mutate_dashboard_hardcoded_namespace, mutate_dashboard_unknown_metric, mutate_dashboard_wrong_dimensions,
    mutate_dashboard_one_app, mutate_dashboard_broken_json, mutate_dashboard_drops_alarm,
    mutate_dashboard_duration_of_one_function_twice, mutate_dashboard_threshold_literal,
    mutate_dashboard_row_without_text, mutate_lag_query_hardcoded_namespace, mutate_usersig_query_maximum,
    mutate_heartbeat_not_breaching, mutate_heartbeat_over_seven_days, mutate_heartbeat_sub_hour_periods,
    mutate_heartbeat_any_hour, mutate_lag_alarm_daily_period, mutate_5xx_wrong_class,
    mutate_alarm_metric_not_in_contract, mutate_alarm_email_only, mutate_alarm_without_ok,
    mutate_no_acknowledgement_rule, mutate_acknowledgement_rule_or, mutate_usersig_rule_loose,
    mutate_no_metrics_namespace_env, mutate_namespace_default_drift, mutate_topic_pattern_open,
    mutate_notifications_output_without_warning,
]
