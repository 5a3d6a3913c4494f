//! Rules in the portal and the API beyond editing (issue 16 part 6): deleting a rule (it stops
//! at once: what it scheduled is cancelled when due, a new event plans nothing; it leaves the
//! lists and its history stays readable), a rule that is on but outside its interval saying so,
//! and a viewer's read-only pages.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::FixedClock;
use avisera_domain::user::Role;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn notifications(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.call("GET", "/v1/notifications", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["notifications"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_deleted_rule_stops_at_once_leaves_the_lists_and_keeps_its_history() {
    let clock = Arc::new(FixedClock::new("2026-11-25T10:00:00Z".parse().unwrap()));
    let app = spawn_app_at(Db::Postgres, clock.clone()).await;
    let id = sms_rule(
        &app,
        "delivered",
        json!({"name": "thanks, 2 h later", "delay_minutes": 120}),
    )
    .await;
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("DEL1", "DELIVERED", "+46701234561")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let waiting = notifications(&app).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["status"], "scheduled");

    let (status, deleted) = app.call("DELETE", &format!("/v1/rules/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["enabled"], false);
    assert_eq!(deleted["name"], "thanks, 2 h later");
    let (_, list) = app.call("GET", "/v1/rules", None).await;
    assert!(
        list["rules"].as_array().unwrap().iter().all(|r| r["id"] != id),
        "a deleted rule is not listed: {list}"
    );
    let (status, _) = app.call("GET", &format!("/v1/rules/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, again) = app.call("DELETE", &format!("/v1/rules/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "a repeated DELETE answers the same: {again}");
    assert_eq!(again, deleted);
    let (status, _) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted rule cannot be enabled again");
    let (status, history) = app.call("GET", &format!("/v1/rules/{id}/history"), None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let actions: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "enabled", "deleted"], "deleted once");
    let (status, _) = app.call("DELETE", "/v1/rules/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such rule");

    // Another tenant's key cannot delete a rule it does not own.
    let other = add_tenant(&app.app, "Other Shop AB").await;
    let other_rule = sms_rule(
        &TestApp {
            base: app.base.clone(),
            key: other.clone(),
            app: app.app.clone(),
            http: app.http.clone(),
        },
        "delivered",
        json!({}),
    )
    .await;
    let (status, _) = app.call("DELETE", &format!("/v1/rules/{other_rule}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "tenant 1 cannot delete tenant 2's rule");

    // A new event plans nothing from it; the waiting message is cancelled when it falls due.
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("DEL2", "DELIVERED", "+46701234562")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(notifications(&app).await.len(), 1, "the deleted rule planned a message");
    clock.advance(SignedDuration::from_mins(121));
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let n = notifications(&app).await.remove(0);
        if n["status"] != "scheduled" {
            break n;
        }
        assert!(Instant::now() < deadline, "the waiting message was never handled: {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(done["status"], "cancelled", "{done}");
    assert_eq!(done["reason"], format!("rule {id} no longer exists"));
    assert!(inbox(&app).await.is_empty(), "nothing was sent");

    // The portal lists it under Deleted rules, with who deleted it.
    let mut editor = signed_in(&app, Role::Editor).await;
    let rules = editor.get("/portal/rules").await;
    assert!(!rules.body.contains("thanks, 2 h later"), "{}", rules.body);
    let page = editor.get("/portal/rules/deleted").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("thanks, 2 h later"), "{}", page.body);
    assert!(page.body.contains("deleted"), "{}", page.body);
}

#[tokio::test]
async fn an_editor_deletes_a_rule_in_the_portal_after_a_question_and_a_viewer_cannot() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let id = sms_rule(&app, "delivered", json!({"name": "on its way"})).await;

    let mut viewer = signed_in(&app, Role::Viewer).await;
    let page = viewer.get(&format!("/portal/rules/{id}/delete")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);

    let mut editor = signed_in(&app, Role::Editor).await;
    let rule = editor.get(&format!("/portal/rules/{id}")).await;
    assert!(
        rule.body.contains(&format!("/portal/rules/{id}/delete")),
        "{}",
        rule.body
    );
    let question = editor.get(&format!("/portal/rules/{id}/delete")).await;
    assert_eq!(question.status, StatusCode::OK);
    assert!(
        question.body.contains("Delete the rule &quot;on its way&quot;?"),
        "{}",
        question.body
    );
    let csrf = question.csrf();
    let done = editor
        .post(&format!("/portal/rules/{id}/delete"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/portal/rules/deleted"));
    let deleted = editor.get("/portal/rules/deleted").await;
    assert!(deleted.body.contains("on its way"), "{}", deleted.body);
    assert!(
        deleted.body.contains("Editor@webshop.se") || deleted.body.contains("editor@webshop.se"),
        "{}",
        deleted.body
    );
    let (_, list) = app.call("GET", "/v1/rules", None).await;
    assert!(list["rules"].as_array().unwrap().is_empty(), "{list}");
    let again = editor.get(&format!("/portal/rules/{id}")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_rule_whose_interval_has_not_begun_or_is_over_says_so_instead_of_on() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(
        &app,
        "delivered",
        json!({"name": "christmas", "active_from": "2099-12-01T00:00:00+01:00"}),
    )
    .await;
    sms_rule(
        &app,
        "delivered",
        json!({"name": "last year", "active_until": "2020-01-01T00:00:00+01:00"}),
    )
    .await;
    sms_rule(&app, "delivered", json!({"name": "always"})).await;
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let list = viewer.get("/portal/rules").await;
    let row = |name: &str| {
        let at = list
            .body
            .find(&format!(">{name}</a>"))
            .unwrap_or_else(|| panic!("{name}: {}", list.body));
        let rest = &list.body[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    assert!(
        row("christmas").contains("active from 2099-12-01"),
        "{}",
        row("christmas")
    );
    assert!(!row("christmas").contains(">enabled<"), "{}", row("christmas"));
    assert!(row("last year").contains("ended 2019-12-31"), "{}", row("last year"));
    assert!(row("always").contains(">enabled<"), "{}", row("always"));
    let rule = viewer.get("/portal/rules/1").await;
    assert!(rule.body.contains("active from 2099-12-01"), "{}", rule.body);
}

#[tokio::test]
async fn a_viewer_sees_rules_templates_and_the_brand_read_only_with_a_note_and_can_still_try_a_rule() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let id = sms_rule(&app, "delivered", json!({"name": "delivered"})).await;
    let mut viewer = signed_in(&app, Role::Viewer).await;
    for page in [
        format!("/portal/rules/{id}"),
        "/portal/templates/1".into(),
        "/portal/brand".into(),
    ] {
        let body = viewer.get(&page).await.body;
        assert!(
            body.contains("<fieldset class=\"plain\" disabled>"),
            "{page}: fields a viewer cannot change are read-only: {body}"
        );
    }
    let rule = viewer.get(&format!("/portal/rules/{id}")).await;
    assert!(rule.body.contains("your role is viewer"), "{}", rule.body);
    // Trying the rule sends no fields from a read-only form: the saved rule is tried.
    let csrf = rule.csrf();
    let tried = viewer
        .post(&format!("/portal/rules/{id}/try"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(tried.status, StatusCode::OK, "{}", tried.body);
    assert!(tried.body.contains("id=\"replay\""), "{}", tried.body);

    let mut editor = signed_in(&app, Role::Editor).await;
    let body = editor.get(&format!("/portal/rules/{id}")).await.body;
    assert!(
        body.contains("<fieldset class=\"plain\">"),
        "an editor's fields are editable"
    );
    assert!(!body.contains("your role is viewer"));
}

#[tokio::test]
async fn a_country_that_is_not_a_two_letter_code_is_refused_saying_what_to_write() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let id = sms_rule(&app, "delivered", json!({"name": "to Sweden"})).await;
    let (_, rule) = app.call("GET", &format!("/v1/rules/{id}"), None).await;
    let mut changed = rule.clone();
    for read_only in ["id", "enabled"] {
        changed.as_object_mut().unwrap().remove(read_only);
    }
    changed["conditions"]["destination_countries"] = json!(["SE", "Norway"]);
    let (status, err) = app.call("PUT", &format!("/v1/rules/{id}"), Some(changed)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err.to_string()
            .contains("\\\"Norway\\\" is not a two-letter country code like SE"),
        "{err}"
    );
    let (_, unchanged) = app.call("GET", &format!("/v1/rules/{id}"), None).await;
    assert_eq!(unchanged["conditions"], rule["conditions"], "nothing was saved");

    // In the portal, in Swedish, next to the form's own label, with what was typed kept.
    let mut editor = signed_in(&app, Role::Editor).await;
    editor.get("/portal/lang?to=sv&back=/portal").await;
    let form = editor.get(&format!("/portal/rules/{id}")).await;
    let csrf = form.csrf();
    let sms_template = rule["sms_template_id"].to_string();
    let refused = editor
        .post(
            &format!("/portal/rules/{id}"),
            &[
                ("csrf", csrf.as_str()),
                ("name", "to Sweden"),
                ("trigger", "delivered"),
                ("channels", "sms"),
                ("sms_template_id", sms_template.as_str()),
                ("recipient", "receiver"),
                ("destination_countries", "SE, Sverige"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Destinationsländer: &quot;Sverige&quot; är inte en landskod med två bokstäver som SE"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"SE, Sverige\""), "what was typed stays");
}
