use super::*;
use serde_json::json;

fn good() -> Value {
    json!({
        "SDKAppID": "1400000000",
        "DaysWritten": 3,
        "_aws": {"Timestamp": 1_700_000_000_000_i64, "CloudWatchMetrics": [{
            "Namespace": "TencentChat",
            "Dimensions": [["SDKAppID"]],
            "Metrics": [{"Name": "DaysWritten", "Unit": "Count"}]
        }]}
    })
}

#[test]
fn a_valid_document_passes_and_declares_its_metrics() {
    let declared = validate(&good()).unwrap();
    assert_eq!(declared.len(), 1);
    assert_eq!(declared[0].dimensions, ["SDKAppID"]);
    check_output(&good().to_string(), "ops-pull", "TencentChat");
}

#[test]
fn each_rule_of_the_specification_is_checked() {
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "no _aws",
            Box::new(|d| {
                d.as_object_mut()
                    .map(|o| o.remove("_aws"))
                    .map(drop)
                    .unwrap_or(())
            }),
        ),
        (
            "float timestamp",
            Box::new(|d| d["_aws"]["Timestamp"] = json!(1.5)),
        ),
        (
            "string timestamp",
            Box::new(|d| d["_aws"]["Timestamp"] = json!("1")),
        ),
        (
            "no directives",
            Box::new(|d| d["_aws"]["CloudWatchMetrics"] = json!([])),
        ),
        (
            "no namespace",
            Box::new(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("")),
        ),
        (
            "numeric dimension",
            Box::new(|d| d["SDKAppID"] = json!(1400000000)),
        ),
        (
            "missing dimension",
            Box::new(|d| d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([["Other"]])),
        ),
        ("string metric", Box::new(|d| d["DaysWritten"] = json!("3"))),
        (
            "missing metric",
            Box::new(|d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!([{"Name": "Nope"}])),
        ),
        (
            "bad unit",
            Box::new(|d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Hours")),
        ),
        (
            "31 dimensions",
            Box::new(|d| {
                let names: Vec<String> = (0..31).map(|i| format!("D{i}")).collect();
                for n in &names {
                    d[n.as_str()] = json!("x");
                }
                d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([names]);
            }),
        ),
        (
            "101 metrics",
            Box::new(|d| {
                let defs: Vec<Value> = (0..101)
                    .map(|i| {
                        d[format!("M{i}").as_str()] = json!(1);
                        json!({"Name": format!("M{i}")})
                    })
                    .collect();
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(defs);
            }),
        ),
    ];
    for (what, mutate) in mutations {
        let mut doc = good();
        mutate(&mut doc);
        assert!(validate(&doc).is_err(), "{what} passed");
    }
}

#[test]
fn the_catalog_lists_the_issue_s_metrics() {
    let (namespace, listed) = catalog();
    assert_eq!(namespace, "TencentChat");
    for name in [
        "ActiveUserNum",
        "MaxOnlineNum",
        "LoginUserNum",
        "RegistUserNumOneDay",
        "UpMsgNum",
        "DownMsgNum",
        "SendMsgUserNum",
        "DaysWritten",
        "UserSigHoursLeft",
        "Requests",
        "UpstreamLatency",
    ] {
        assert!(listed.iter().any(|l| l.name == name), "{name}");
    }
}

#[test]
#[should_panic(expected = "not in infra/metrics.json")]
fn an_unlisted_metric_fails_the_output_check() {
    let mut doc = good();
    doc["Invented"] = json!(1);
    doc["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!([{"Name": "Invented", "Unit": "Count"}]);
    check_output(&doc.to_string(), "ops-pull", "TencentChat");
}
