//! Track & Trace as a customer-service agent uses it: a parcel found by a part of its number,
//! the receiver's name or a phone written without `+`; many results paged with their dates; and
//! the shipment's events named in words.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn an_agent_finds_a_parcel_by_a_part_of_its_number_a_name_or_a_phone_without_plus() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let mut e = event("00370712345678904321", "AVAILABLE_FOR_DELIVERY_PAR_LOC", "+46701234562");
    e["shipment"]["receiver"]["name"] = json!("Åsa Öberg");
    let (status, body) = app.call("POST", "/v1/events", Some(e)).await;
    assert!(status.is_success(), "{body}");
    let batch: Vec<_> = (0..60)
        .map(|i| event(&format!("BULK{i:04}"), "DELIVERED", &format!("+4670555{i:04}")))
        .collect();
    let (status, body) = app.call("POST", "/v1/events", Some(json!(batch))).await;
    assert!(status.is_success(), "{body}");
    let mut agent = signed_in(&app, Role::Viewer).await;

    for (query, why) in [
        ("78904321", "the end of the number"),
        ("öberg", "the name"),
        ("46701234562", "the phone without +"),
    ] {
        let page = agent.get(&format!("/portal/track?q={query}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{why}: {}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some("/portal/track/00370712345678904321"),
            "{why}"
        );
    }

    // Sixty hits: fifty on the first page, with the date of each one's latest event.
    let page = agent.get("/portal/track?q=BULK").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Showing 1–50 of 60"), "{}", page.body);
    assert_eq!(page.body.matches("href=\"/portal/track/BULK").count(), 50);
    assert!(page.body.contains("Latest event"));
    let next = agent.get("/portal/track?q=BULK&page=2").await;
    assert!(next.body.contains("Showing 51–60 of 60"), "{}", next.body);
    assert_eq!(next.body.matches("href=\"/portal/track/BULK").count(), 10);

    // The event in words, with the carrier's code beside it.
    let shipment = agent.get("/portal/track/00370712345678904321").await;
    assert!(shipment.body.contains("Arrived at pickup point"), "{}", shipment.body);
    assert!(shipment.body.contains("<code>AVAILABLE_FOR_DELIVERY_PAR_LOC</code>"));
}
