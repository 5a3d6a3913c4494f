//! An API key's last use, as its tenant's admin sees it on the keys page: "never used" until a
//! program calls with it, then the minute of its latest call, in the reader's language. A
//! program's calls within a minute of the recorded one write nothing.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::user::Role;
use avisera_domain::{FixedClock, TenantId, Timestamp};
use reqwest::StatusCode;
use std::sync::Arc;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The keys table's row for the key labelled `label`.
fn row<'a>(page: &'a str, label: &str) -> &'a str {
    let at = page.find(&format!("<td>{label}</td>")).expect(label);
    let start = page[..at].rfind("<tr>").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn the_keys_page_says_when_each_key_was_last_used_in_the_readers_language() {
    let clock = Arc::new(FixedClock::new(at("2026-12-03T13:01:00Z")));
    let app = spawn_app_at(Db::Postgres, clock.clone()).await;
    let store = app.app.store.clone();
    avisera_core::tenants::add_api_key(store.as_ref(), TenantId(1), "lagret", at("2026-12-03T13:01:00Z"))
        .await
        .unwrap();
    let mut anna = signed_in(&app, Role::Admin).await;
    let shop = store
        .api_keys(TenantId(1))
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.label != "lagret")
        .unwrap();

    let page = anna.get("/portal/api-keys").await.body;
    assert!(row(&page, &shop.label).contains("never used"), "{page}");

    // The program calls at 14:02 Stockholm time (13:02 UTC).
    clock.set(at("2026-12-03T13:02:00Z"));
    assert_eq!(app.call("GET", "/v1/bill", None).await.0, StatusCode::OK);
    let page = anna.get("/portal/api-keys").await.body;
    assert!(row(&page, &shop.label).contains("2026-12-03 14:02"), "{page}");
    assert!(
        row(&page, "lagret").contains("never used"),
        "only the key that was used: {page}"
    );

    // Half a minute later: nothing written; a minute later: the new time.
    clock.set(at("2026-12-03T13:02:30Z"));
    assert_eq!(app.call("GET", "/v1/bill", None).await.0, StatusCode::OK);
    let used = |keys: Vec<avisera_store::ApiKeyInfo>| {
        keys.into_iter()
            .find(|k| k.key_hash == shop.key_hash)
            .unwrap()
            .last_used_at
    };
    assert_eq!(
        used(store.api_keys(TenantId(1)).await.unwrap()),
        Some(at("2026-12-03T13:02:00Z")),
        "a call within the minute writes nothing"
    );
    clock.set(at("2026-12-03T13:03:10Z"));
    assert_eq!(app.call("GET", "/v1/bill", None).await.0, StatusCode::OK);
    assert_eq!(
        used(store.api_keys(TenantId(1)).await.unwrap()),
        Some(at("2026-12-03T13:03:10Z"))
    );

    // The API lists them too, with the same times (and never a key or its hash).
    let (status, listed) = app.call("GET", "/v1/api-keys", None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let keys = listed["api_keys"].as_array().unwrap();
    let by_label = |label: &str| keys.iter().find(|k| k["label"] == label).unwrap().clone();
    assert_eq!(by_label(&shop.label)["last_used_at"], "2026-12-03T13:03:10Z");
    assert_eq!(by_label("lagret")["last_used_at"], serde_json::Value::Null);
    assert_eq!(by_label("lagret")["prefix"].as_str().unwrap().len(), 11);
    assert!(!listed.to_string().contains(&shop.key_hash), "{listed}");

    // In the reader's language, dates written their way.
    for (lang, used, never) in [
        ("sv", "2026-12-03 14:03", "aldrig använd"),
        ("nb", "03.12.2026 14:03", "aldri brukt"),
        ("fi", "3.12.2026 klo 14.03", "ei koskaan käytetty"),
    ] {
        anna.get(&format!("/portal/lang?to={lang}&back=/portal/api-keys")).await;
        let page = anna.get("/portal/api-keys").await.body;
        assert!(row(&page, &shop.label).contains(used), "{lang}: {page}");
        assert!(row(&page, "lagret").contains(never), "{lang}: {page}");
    }
}
