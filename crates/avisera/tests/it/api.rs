//! The HTTP API as a carrier, a shipper's system and an operator use it.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn inbox_after_settling(app: &TestApp) -> Vec<Value> {
    app.settled_notifications().await;
    inbox(app).await
}

#[tokio::test]
async fn the_same_event_twice_is_stored_once_and_notifies_once() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db, None, None).await;
        sms_rule(&app, "delivered", json!({})).await;
        let e = event("DUP1", "DELIVERED", "+46701234561");
        let (status, first) = app.call("POST", "/v1/events", Some(e.clone())).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{first}");
        assert_eq!(first["results"][0]["result"], "accepted");
        let (_, again) = app.call("POST", "/v1/events", Some(json!([e.clone(), e]))).await;
        assert_eq!(again["duplicates"], 2, "{again}");
        let messages = inbox_after_settling(&app).await;
        assert_eq!(messages.len(), 1, "{messages:#?}");
        assert_eq!(messages[0]["text"], "Hej Anna! Paket DUP1: Webshop AB meddelar.");
        let (_, shipment) = app.call("GET", "/v1/shipments/DUP1", None).await;
        assert_eq!(shipment["events"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_disabled_rule_sends_nothing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let id = sms_rule(&app, "delivered", json!({})).await;
    app.call("POST", &format!("/v1/rules/{id}/disable"), None).await;
    sms_rule(&app, "transport_order_received", json!({})).await;
    app.call(
        "POST",
        "/v1/events",
        Some(json!([
            event("OFF1", "DELIVERED", "+46701234561"),
            event("ON1", "CREATED", "+46701234561")
        ])),
    )
    .await;
    let messages = inbox_after_settling(&app).await;
    assert_eq!(messages.len(), 1, "only the enabled rule sends: {messages:#?}");
    let (_, list) = app.call("GET", "/v1/notifications?tracking_number=OFF1", None).await;
    assert!(list["notifications"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_rule_outside_its_active_interval_sends_nothing() {
    let app = spawn_app(Db::Postgres, None, None).await;
    sms_rule(
        &app,
        "delivered",
        json!({"active_from": "2020-01-01T00:00:00Z", "active_until": "2020-12-31T00:00:00Z"}),
    )
    .await;
    sms_rule(&app, "delivered", json!({"active_from": "2099-01-01T00:00:00Z"})).await;
    sms_rule(
        &app,
        "transport_order_received",
        json!({"active_from": "2020-01-01T00:00:00Z"}),
    )
    .await;
    app.call(
        "POST",
        "/v1/events",
        Some(json!([
            event("OLD1", "DELIVERED", "+46701234561"),
            event("NOW1", "CREATED", "+46701234561")
        ])),
    )
    .await;
    let messages = inbox_after_settling(&app).await;
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(messages[0]["text"].as_str().unwrap().contains("NOW1"));
}

#[tokio::test]
async fn bad_input_gets_an_error_that_names_what_to_fix_and_loses_nothing_else() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let raw = app
        .http
        .post(format!("{}/v1/events", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body("{\"tracking_number\": \"X1\",\n \"code\": }")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    assert_eq!(body["error"]["line"], 2, "{body}");

    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(json!({"tracking_number": "X1", "code": "DELIVERED", "occurred_at": "tomorrow"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "occurred_at", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-11-25T14:05:00+01:00")
    );

    let (status, body) = app.call("POST", "/v1/events", Some(json!({"tracking_number": "X1", "code": "DELIVERED", "occurred_at": "2026-11-25T14:05:00Z", "colour": "red"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{body}"
    );

    let mut wrong_type = event("X2", "DELIVERED", "+46701234561");
    wrong_type["shipment"]["receiver"]["phone"] = json!(46701234561u64);
    let (status, body) = app.call("POST", "/v1/events", Some(wrong_type)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "shipment.receiver.phone", "{body}");
    let (status, body) = app
        .call("POST", "/v1/rules", Some(json!({"name": "r", "trigger": "delivered", "channels": "sms", "conditions": {"destination_countries": "SE"}})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "conditions.destination_countries", "{body}");

    let batch = json!([event("GOOD1", "DELIVERED", "+46701234561"), {"code": "DELIVERED"}, event("GOOD2", "DELIVERED", "+46701234562")]);
    let (status, body) = app.call("POST", "/v1/events", Some(batch)).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 1);
    assert_eq!(body["results"][1]["result"], "rejected");
    assert_eq!(body["results"][1]["index"], 1);
    assert_eq!(body["results"][1]["field"], "tracking_number");
    assert_eq!(
        inbox_after_settling(&app).await.len(),
        2,
        "the good events of the batch notify"
    );

    let (status, body) = app
        .call_as(
            "av_wrong",
            "POST",
            "/v1/events",
            Some(event("Z", "DELIVERED", "+46701234561")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"]["message"].as_str().unwrap().contains("unknown API key"));
    let status = app
        .http
        .get(format!("{}/v1/rules", app.base))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);

    let huge = "x".repeat(11 * 1024 * 1024);
    let resp = app
        .http
        .post(format!("{}/v1/events", app.base))
        .bearer_auth(&app.key)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let (status, _) = app.call("GET", "/v1/rules", None).await;
    assert_eq!(status, StatusCode::OK, "the server still answers after a huge upload");
}

#[tokio::test]
async fn a_template_that_does_not_render_is_refused_naming_line_and_variable() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "t", "channel": "sms", "default_language": "sv",
                        "contents": {"sv": {"text": "Hej {{ receiver_name }}\nDitt paket {{ tracking_nummer }}"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["line"], 2, "{body}");
    assert_eq!(body["error"]["variable"], "tracking_nummer");
    assert_eq!(body["error"]["language"], "sv");
    let (status, body) = app
        .call("POST", "/v1/templates", Some(json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "{% if %}"}}})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("syntax error"),
        "{body}"
    );
    let (_, list) = app.call("GET", "/v1/templates", None).await;
    assert!(
        list["templates"].as_array().unwrap().is_empty(),
        "nothing broken was saved"
    );
}

#[tokio::test]
async fn enabling_a_trigger_the_plan_lacks_names_the_plan_that_has_it() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "Tull"}}}),
            ),
        )
        .await;
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(
                json!({"name": "customs", "trigger": "customs", "channels": "sms", "sms_template_id": template["id"]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (status, body) = app
        .call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("customs") && message.contains("Premium") && message.contains("Plus"),
        "{message}"
    );
    let (status, body) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "x", "trigger": "teleported", "channels": "sms", "sms_template_id": template["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "trigger", "{body}");
}

#[tokio::test]
async fn tenant_b_cannot_read_or_change_tenant_a_through_any_endpoint() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let other = add_tenant(&app.app, "Other AB").await;
    let rule = sms_rule(&app, "delivered", json!({})).await;
    app.call(
        "POST",
        "/v1/events",
        Some(event("SECRET1", "DELIVERED", "+46701234561")),
    )
    .await;
    let notification = app.settled_notifications().await[0]["id"].as_i64().unwrap();
    let (_, rules) = app.call("GET", "/v1/rules", None).await;
    let template = rules["rules"][0]["sms_template_id"].as_i64().unwrap();
    let tpl_body =
        json!({"name": "stolen", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "x"}}});
    let rule_body = json!({"name": "stolen", "trigger": "delivered", "channels": "sms", "sms_template_id": template});

    for (method, path, body) in [
        ("GET", format!("/v1/templates/{template}"), None),
        ("PUT", format!("/v1/templates/{template}"), Some(tpl_body)),
        ("GET", format!("/v1/rules/{rule}"), None),
        ("PUT", format!("/v1/rules/{rule}"), Some(rule_body.clone())),
        ("POST", format!("/v1/rules/{rule}/enable"), None),
        ("POST", format!("/v1/rules/{rule}/disable"), None),
        ("GET", format!("/v1/notifications/{notification}"), None),
        ("GET", "/v1/shipments/SECRET1".to_string(), None),
    ] {
        let (status, body) = app.call_as(&other, method, &path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
    }
    let (status, body) = app.call_as(&other, "POST", "/v1/rules", Some(rule_body)).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "B may not use A's template: {body}"
    );
    for path in [
        "/v1/templates",
        "/v1/rules",
        "/v1/notifications",
        "/v1/notifications?tracking_number=SECRET1",
    ] {
        let (_, body) = app.call_as(&other, "GET", path, None).await;
        let list = body.as_object().unwrap().values().next().unwrap().as_array().unwrap();
        assert!(list.is_empty(), "{path} shows another tenant's data: {body}");
    }
    let (_, mine) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(mine["enabled"], true, "B's calls changed nothing of A's");
    assert_eq!(mine["name"], "delivered by sms");
}

#[tokio::test]
async fn health_readiness_and_an_openapi_document_describing_every_endpoint() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let get = |p: &str| app.http.get(format!("{}{p}", app.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status().as_u16(), 200);
    let ready: Value = get("/readyz").await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let doc: Value = get("/openapi.json").await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    // The document is generated from the same registration that serves the routes; this
    // checks the other direction: every documented operation is served (a request reaches a
    // handler, not the fallback's "no such endpoint" or a 405).
    let docs_page = get("/docs").await.unwrap().text().await.unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            operations += 1;
            let response = app
                .http
                .request(
                    method.to_uppercase().parse().unwrap(),
                    format!("{}{concrete}", app.base),
                )
                .header("authorization", format!("Bearer {}", app.key))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not served");
            assert!(
                !body.contains("no such endpoint"),
                "{method} {path} is documented but not served: {body}"
            );
            assert!(
                docs_page.contains(&format!("<span class=\"path\">{}</span>", path.replace('/', "&#x2f;"))),
                "/docs lacks {path}"
            );
        }
    }
    assert!(operations >= 40, "only {operations} operations documented");
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn a_message_due_in_quiet_hours_waits_and_is_cancelled_once_pointless() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    // Quiet hours around the receiver's present moment (Stockholm for a Swedish address).
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").unwrap());
    let hhmm = |z: jiff::ZonedDateTime| format!("{:02}:{:02}", z.hour(), z.minute());
    let from = hhmm(now.checked_sub(jiff::SignedDuration::from_mins(60)).unwrap());
    let until = hhmm(now.checked_add(jiff::SignedDuration::from_mins(60)).unwrap());
    sms_rule(
        &app,
        "first_transport_event",
        json!({"quiet_hours": [{"channel": "sms", "from": from, "until": until}]}),
    )
    .await;
    sms_rule(&app, "delivered", json!({})).await;

    app.call("POST", "/v1/events", Some(event("QUIET1", "EN_ROUTE", "+46701234561")))
        .await;
    let (_, list) = app.call("GET", "/v1/notifications?tracking_number=QUIET1", None).await;
    let waiting = &list["notifications"][0];
    assert_eq!(waiting["status"], "scheduled", "{waiting}");
    let due: jiff::Timestamp = waiting["due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(50),
        "deferred to the end of quiet hours: {due}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(inbox(&app).await.is_empty(), "nothing goes out in quiet hours");

    let mut delivered = event("QUIET1", "DELIVERED", "+46701234561");
    delivered["occurred_at"] = json!("2026-11-25T15:00:00+01:00");
    app.call("POST", "/v1/events", Some(delivered)).await;
    let list = app.settled_notifications().await;
    let journey = list.iter().find(|n| n["trigger"] == "first_transport_event").unwrap();
    assert_eq!(journey["status"], "cancelled");
    assert_eq!(
        journey["reason"],
        "the parcel was delivered before this message was sent"
    );
    let messages = inbox(&app).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0]["text"].as_str().unwrap().contains("QUIET1"));
}

#[tokio::test]
async fn bad_timing_settings_are_refused_naming_the_field() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, t) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "x"}}})),
        )
        .await;
    let base = json!({"name": "r", "trigger": "delivered", "channels": "sms", "sms_template_id": t["id"]});
    for (extra, needle) in [
        (
            json!({"quiet_hours": [{"channel": "sms", "from": "9pm", "until": "08:00"}]}),
            "like 08:00",
        ),
        (
            json!({"quiet_hours": [{"channel": "sms", "from": "08:00", "until": "08:00"}]}),
            "quiet_hours",
        ),
        (json!({"delay_minutes": 20000}), "delay_minutes"),
        (json!({"send_at_local": "09:00"}), "send_at_local"),
    ] {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (status, err) = app.call("POST", "/v1/rules", Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(needle), "{err}");
    }
}

#[tokio::test]
async fn an_operators_mapping_line_makes_a_new_code_fire_and_unknown_codes_are_kept() {
    init();
    let mut config = avisera::config::Config {
        database_url: database_url(Db::Sqlite).await.into(),
        dev_inbox: true,
        delivery: test_delivery(),
        ..Default::default()
    };
    config.operator_mapping =
        avisera_domain::mapping::Mapping::parse("SIGNED_FOR  delivered  yes  delivered  signed by the receiver")
            .unwrap();
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let inner = avisera::server::build_app(config, store);
    let key = add_tenant(&inner, "Mapped AB").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(inner.clone(), listener));
    let app = TestApp {
        base,
        key,
        app: inner,
        http: reqwest::Client::new(),
    };
    sms_rule(&app, "delivered", json!({})).await;
    app.call(
        "POST",
        "/v1/events",
        Some(json!([
            event("MAP1", "SIGNED_FOR", "+46701234561"),
            event("MAP2", "BRAND_NEW_CODE", "+46701234561")
        ])),
    )
    .await;
    let list = app.settled_notifications().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["tracking_number"], "MAP1");
    let (_, shipment) = app.call("GET", "/v1/shipments/MAP2", None).await;
    assert_eq!(shipment["events"][0]["code"], "BRAND_NEW_CODE");
    assert_eq!(shipment["events"][0]["unknown_code"], true);
    let metrics = app.page("/metrics").await;
    for line in [
        "avisera_events_unknown_code_total{source=\"api\"} 1",
        "avisera_events_total{result=\"accepted\",source=\"api\"} 2",
        "avisera_notifications_created_total 1",
        "avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"dev_inbox\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} not in\n{metrics}");
    }
    let (_, mapping) = app.call("GET", "/v1/mapping", None).await;
    assert!(
        mapping["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["code"] == "SIGNED_FOR" && m["trigger"] == "delivered")
    );
}

#[tokio::test]
async fn every_rule_change_is_recorded_and_a_downgrade_disables_what_the_plan_lacks() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    let tenant_id = tenant["id"].as_i64().unwrap();
    let now = jiff::Timestamp::now();
    app.app
        .store
        .change_plan(
            avisera_domain::TenantId(tenant_id),
            avisera_domain::plan::Plan::Premium,
            now,
        )
        .await
        .unwrap();
    let customs = sms_rule(&app, "customs", json!({})).await;
    let delivered = sms_rule(&app, "delivered", json!({})).await;
    let (_, rule) = app.call("GET", &format!("/v1/rules/{delivered}"), None).await;
    let mut renamed = rule.clone();
    for k in ["id", "enabled", "trigger"] {
        renamed.as_object_mut().unwrap().remove(k);
    }
    renamed["trigger"] = json!("delivered");
    renamed["name"] = json!("delivered, renamed");
    let (status, body) = app.call("PUT", &format!("/v1/rules/{delivered}"), Some(renamed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.call("POST", &format!("/v1/rules/{delivered}/disable"), None).await;
    let (_, history) = app.call("GET", &format!("/v1/rules/{delivered}/history"), None).await;
    let entries: Vec<(String, String, String)> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().into(),
                h["actor"].as_str().unwrap().into(),
                h["detail"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        entries.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        vec!["created", "enabled", "changed", "disabled"]
    );
    assert!(entries.iter().all(|e| e.1 == "api key \"test\""), "{entries:?}");
    assert_eq!(
        entries[2].2,
        "changed name; name: \"delivered by sms\" → \"delivered, renamed\""
    );

    // The operator moves the tenant down to Plus: the customs rule is disabled, with why.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args([
            "tenant",
            "set-plan",
            "--tenant",
            &tenant_id.to_string(),
            "--plan",
            "plus",
        ])
        .env("AVISERA_DATABASE_URL", &app.app.config.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("disabled rule {customs}")));
    let (_, rule) = app.call("GET", &format!("/v1/rules/{customs}"), None).await;
    assert_eq!(rule["enabled"], false);
    let (_, history) = app.call("GET", &format!("/v1/rules/{customs}/history"), None).await;
    let last = history["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("disabled"), Some("operator"))
    );
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("lacks trigger \"customs\" (#13); Premium has it"),
        "{last}"
    );
    app.call("POST", "/v1/events", Some(event("CUST1", "STOPPED", "+46701234561")))
        .await;
    let (_, list) = app.call("GET", "/v1/notifications?tracking_number=CUST1", None).await;
    assert!(
        list["notifications"].as_array().unwrap().is_empty(),
        "nothing from a rule the plan lacks"
    );
    let (status, body) = app.call("POST", &format!("/v1/rules/{customs}/enable"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_tenants_own_mapping_lines_apply_to_it_alone() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let other = add_tenant(&app.app, "Other AB").await;
    sms_rule(&app, "delivered", json!({})).await;
    let put = |key: String, body: &'static str| {
        let (http, base) = (app.http.clone(), app.base.clone());
        async move {
            let r = http
                .put(format!("{base}/v1/mapping"))
                .bearer_auth(key)
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = put(
        app.key.clone(),
        "# our own\nHANDED_OVER  delivered  yes  delivered  to the receiver\nBROKEN x",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["line"], 3, "{body}");
    let (status, body) = put(
        app.key.clone(),
        "HANDED_OVER  delivered  yes  delivered  to the receiver\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["code"] == "HANDED_OVER")
    );
    let (_, theirs) = app.call_as(&other, "GET", "/v1/mapping", None).await;
    assert!(
        !theirs["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["code"] == "HANDED_OVER"),
        "another tenant's lines leaked"
    );

    app.call("POST", "/v1/events", Some(event("OWN1", "HANDED_OVER", "+46701234561")))
        .await;
    let list = app.settled_notifications().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["trigger"], "delivered");
    let (_, shipment) = app.call("GET", "/v1/shipments/OWN1", None).await;
    assert_eq!(shipment["events"][0]["unknown_code"], false);
}

#[tokio::test]
async fn the_log_until_the_last_day_there_is_has_no_upper_bound() {
    // The day after 9999-12-31 does not exist; the filter used to fail on it (a valid date).
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, body) = app
        .call("GET", "/v1/notifications?until=9999-12-31&from=0001-01-01", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["notifications"].is_array());
    let (status, body) = app.call("GET", "/v1/notifications?until=2026-02-30", None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "until");
}
