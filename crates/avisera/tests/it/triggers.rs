//! Every trigger of the catalogue fires on realistic carrier events, and not when it should not.

use crate::helpers::*;
use avisera_domain::TenantId;
use avisera_domain::plan::Plan;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn at(tracking: &str, code: &str, minute: u32) -> Value {
    let mut e = event(tracking, code, "+46701234561");
    e["occurred_at"] = json!(format!("2026-11-25T10:{minute:02}:00+01:00"));
    e
}

#[tokio::test]
async fn every_trigger_fires_on_its_events_and_only_then() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    let now = app.app.clock.now();
    app.app
        .store
        .change_plan(TenantId(tenant["id"].as_i64().unwrap()), Plan::Premium, now)
        .await
        .unwrap();
    for n in 1..=14 {
        let (_, t) = app
            .call(
                "POST",
                "/v1/templates",
                Some(
                    json!({"name": format!("t{n}"), "channel": "sms", "default_language": "sv",
                   "contents": {"sv": {"text": format!("#{n} {{{{ tracking_number }}}}")}}}),
                ),
            )
            .await;
        let mut rule =
            json!({"name": format!("r{n}"), "trigger": n.to_string(), "channels": "sms", "sms_template_id": t["id"]});
        if n == 4 {
            rule["days_before_deadline"] = json!(2);
        }
        let (status, r) = app.call("POST", "/v1/rules", Some(rule)).await;
        assert_eq!(status.as_u16(), 201, "{r}");
        let (status, body) = app.call("POST", &format!("/v1/rules/{}/enable", r["id"]), None).await;
        assert_eq!(status.as_u16(), 200, "trigger {n} on Premium: {body}");
    }
    let deadline = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + 5 * 86_400)
        .unwrap()
        .to_string();
    let mut at_pickup = at("S3", "AVAILABLE_FOR_DELIVERY_PAR_LOC", 2);
    at_pickup["pickup_point"] = json!({"name": "ICA Nära", "storage_deadline": deadline});
    let mut return_arrived = at("S7", "RETURN_ARRIVED", 1);
    return_arrived["shipment"]["is_return"] = json!(true);
    // S2 happens as it happens: one event at a time.
    for (code, minute) in [
        ("CREATED", 1),
        ("EN_ROUTE", 2),
        ("AVAILABLE_FOR_DELIVERY", 3),
        ("DELIVERED", 4),
    ] {
        let (status, body) = app.call("POST", "/v1/events", Some(at("S2", code, minute))).await;
        assert_eq!(status.as_u16(), 202, "{body}");
    }
    let events = json!([
        at("S1", "CREATED", 1),
        // S13 arrives as one batch after the fact: what was about the journey is pointless by
        // then, so only "delivered" goes out; the rest are kept as cancelled, with why.
        at("S13", "CREATED", 1),
        at("S13", "EN_ROUTE", 2),
        at("S13", "AVAILABLE_FOR_DELIVERY", 3),
        at("S13", "DELIVERED", 4),
        at("S3", "EN_ROUTE", 1),
        at_pickup,
        at("S4", "EN_ROUTE", 1),
        at("S4", "DELIVERY_IMPOSSIBLE", 2),
        at("S5", "EXPECTED_DELAY", 1),
        at("S5", "DELAYED", 2),
        at("S6", "DELIVERY_REFUSED", 1),
        return_arrived,
        at("S8", "COLLECTION_FAILED", 1),
        at("S9", "STOPPED", 1),
        at("S10", "DELIVERY_CHANGED", 1),
        // Out for delivery reported after the delivery it preceded: nothing about it.
        at("S11", "DELIVERED", 5),
        at("S11", "AVAILABLE_FOR_DELIVERY", 3),
        at("S12", "SOME_NEW_CARRIER_CODE", 1),
    ]);
    let (status, body) = app.call("POST", "/v1/events", Some(events)).await;
    assert_eq!(status.as_u16(), 202, "{body}");

    // "On its way" (#2) goes only where the parcel was seen in transit before anything later:
    // not when the first event already finds it refused (S6), returned (S7) or delivered
    // (S11), and not when it reached the pickup point in the same batch (S3).
    let expected: BTreeSet<String> = [
        "#1 S1", "#1 S2", "#2 S2", "#6 S2", "#3 S2", "#5 S3", "#2 S4", "#7 S4", "#8 S5", "#9 S5", "#10 S6", "#11 S7",
        "#12 S8", "#13 S9", "#14 S10", "#3 S11", "#3 S13",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let deadline_at = Instant::now() + Duration::from_secs(20);
    let mut got: BTreeSet<String>;
    loop {
        got = inbox(&app)
            .await
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        if got.len() >= expected.len() || Instant::now() > deadline_at {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    got = inbox(&app)
        .await
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        got,
        expected,
        "missing: {:?}, extra: {:?}",
        expected.difference(&got).collect::<Vec<_>>(),
        got.difference(&expected).collect::<Vec<_>>()
    );

    let (_, s13) = app.call("GET", "/v1/notifications?tracking_number=S13", None).await;
    let mut s13: Vec<(String, String)> = s13["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["trigger"].as_str().unwrap().to_string(),
                n["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    s13.sort();
    assert_eq!(
        s13,
        [
            ("delivered", "sent"),
            ("first_transport_event", "cancelled"),
            ("out_for_delivery", "cancelled"),
            ("transport_order_received", "cancelled")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );

    // Trigger 4 waits for its day: two days before the deadline.
    let (_, list) = app
        .call("GET", "/v1/notifications?trigger=days_left_at_pickup_point", None)
        .await;
    let reminder = &list["notifications"][0];
    assert_eq!(reminder["status"], "scheduled");
    let due: jiff::Timestamp = reminder["due_at"].as_str().unwrap().parse().unwrap();
    let expected_due: jiff::Timestamp =
        deadline.parse::<jiff::Timestamp>().unwrap() - jiff::SignedDuration::from_hours(48);
    assert_eq!(due, expected_due);
    // Picking the parcel up cancels it, saying why.
    app.call("POST", "/v1/events", Some(at("S3", "DELIVERED", 9))).await;
    let (_, list) = app
        .call("GET", "/v1/notifications?trigger=days_left_at_pickup_point", None)
        .await;
    assert_eq!(list["notifications"][0]["status"], "cancelled");
    assert_eq!(list["notifications"][0]["reason"], "the parcel was picked up");
}
