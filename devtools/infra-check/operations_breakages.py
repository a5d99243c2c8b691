"""Deliberate breakages of the operations parts of infra/template.yaml
(dashboard, alarms, alarm rules, metrics namespace): check_template.py applies
each to the SAM template and fails unless operations.py's checks notice."""

from __future__ import annotations

from typing import Any, Callable

from cfn_support import edit, props


def _edit_body(sam: dict[str, Any], old: str, new: str) -> None:
    edit(props(sam, "OperationsDashboard")["DashboardBody"], "Fn::Sub", old, new, 1)


def _search(metric: str, dims: str = "SDKAppID") -> str:
    return '{\\"${MetricsNamespace}\\",' + dims + '} MetricName=\\"' + metric + '\\"'


def _edit_query(sam: dict[str, Any], alarm_id: str, old: str, new: str) -> None:
    query = props(sam, alarm_id)["Metrics"][0]
    query["Expression"] = {"Fn::Sub": query["Expression"]["Fn::Sub"].replace(old, new)}


_ONE_APP = ('[{"id": "registered", "label": "${!PROP(\'Dim.SDKAppID\')}", "expression": "SEARCH(\''
            + _search("RegistUserNumOneDay") + '\', \'Maximum\', 86400)"}]')
_TEXT_ROW = '{"type": "text", "x": 0, "y": 24, "width": 24, "height": %d,'

OPERATIONS_MUTATIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "mutate_kept_alarm_above_one": lambda sam: props(sam, "PushDaysKeptArchivedAlarm").update(Threshold=1),
    "mutate_kept_alarm_one_app": lambda sam: _edit_query(sam, "PushDaysKeptArchivedAlarm", "MAX(", "MIN("),
    "mutate_dashboard_hardcoded_namespace": lambda sam: _edit_body(
        sam, _search("ActiveUserNum"), _search("ActiveUserNum").replace("${MetricsNamespace}", "TencentChat")),
    "mutate_dashboard_unknown_metric": lambda sam: _edit_body(sam, _search("MaxOnlineNum"), _search("MaxOnlineUsers")),
    "mutate_dashboard_wrong_dimensions": lambda sam: _edit_body(
        sam, _search("DaysFailed"), _search("DaysFailed", "SDKAppID,Function")),
    "mutate_dashboard_one_app": lambda sam: _edit_body(
        sam, _ONE_APP, '["${MetricsNamespace}", "RegistUserNumOneDay", "SDKAppID", "1400000000"]'),
    "mutate_dashboard_broken_json": lambda sam: _edit_body(sam, '"period": 86400, "yAxis"', '"period": 86400 "yAxis"'),
    "mutate_dashboard_drops_alarm": lambda sam: _edit_body(sam, '"${UserSigHoursLeftAlarm.Arn}", ', ""),
    "mutate_dashboard_duration_of_one_function_twice": lambda sam: _edit_body(
        sam, '"Duration", "FunctionName", "${PushStatsFunction}"', '"Duration", "FunctionName", "${OpsPullFunction}"'),
    "mutate_dashboard_threshold_literal": lambda sam: _edit_body(sam, '"value": ${NewestDayLagAlarmHours}', '"value": 48'),
    "mutate_dashboard_row_without_text": lambda sam: _edit_body(sam, _TEXT_ROW % 3, _TEXT_ROW % 2),
    "mutate_lag_query_hardcoded_namespace": lambda sam: _edit_query(
        sam, "NewestDayLagAlarm", "${MetricsNamespace}", "TencentChat"),
    "mutate_usersig_query_maximum": lambda sam: _edit_query(sam, "UserSigHoursLeftAlarm", "MIN(", "MAX("),
    "mutate_heartbeat_not_breaching": lambda sam: props(sam, "OpsPullHeartbeatAlarm").update(
        TreatMissingData="notBreaching"),
    "mutate_heartbeat_over_seven_days": lambda sam: props(sam, "OpsPullHeartbeatAlarm").update(
        EvaluationPeriods=200, DatapointsToAlarm=200),
    # Still 26 hours, but 5-minute periods may span one day at most.
    "mutate_heartbeat_sub_hour_periods": lambda sam: props(sam, "OpsPullHeartbeatAlarm").update(
        Period=300, EvaluationPeriods=312, DatapointsToAlarm=312),
    "mutate_heartbeat_any_hour": lambda sam: props(sam, "OpsPullHeartbeatAlarm").update(DatapointsToAlarm=1),
    "mutate_lag_alarm_daily_period": lambda sam: props(sam, "NewestDayLagAlarm")["Metrics"][0].update(Period=86400),
    "mutate_5xx_wrong_class": lambda sam: props(sam, "PushStats5xxAlarm")["Dimensions"][0].update(Value="5XX"),
    "mutate_alarm_metric_not_in_contract": lambda sam: props(sam, "PushStats5xxAlarm").update(MetricName="Requests5xx"),
    "mutate_alarm_email_only": lambda sam: props(sam, "PushStats5xxAlarm")["AlarmActions"].remove(next(
        a for a in props(sam, "PushStats5xxAlarm")["AlarmActions"] if a["Fn::If"][0] == "HasAlarmTopicArn")),
    "mutate_alarm_without_ok": lambda sam: props(sam, "OpsPullHeartbeatAlarm").pop("OKActions"),
    "mutate_no_acknowledgement_rule": lambda sam: sam["Rules"].pop("AlarmsReachSomeone"),
    "mutate_acknowledgement_rule_or": lambda sam: sam["Rules"]["AlarmsReachSomeone"].update(
        RuleCondition={"Fn::Or": sam["Rules"]["AlarmsReachSomeone"]["RuleCondition"]["Fn::And"]}),
    "mutate_usersig_rule_loose": lambda sam: sam["Rules"]["UserSigAlarmQuietWith7DayValidity"]["Assertions"][0]["Assert"][
        "Fn::Contains"][0].append("168"),
    "mutate_no_metrics_namespace_env": lambda sam: sam["Globals"]["Function"].pop("Environment"),
    "mutate_namespace_default_drift": lambda sam: sam["Parameters"]["MetricsNamespace"].update(Default="TencentChatOps"),
    "mutate_topic_pattern_open": lambda sam: sam["Parameters"]["AlarmTopicArn"].update(AllowedPattern="^.*$"),
    "mutate_notifications_output_without_warning": lambda sam: sam["Outputs"]["AlarmNotifications"].update(
        Value={"Ref": "AlarmTopicArn"}),
}
