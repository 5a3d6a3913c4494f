//! The price page: the plans side by side, and an admin's request to change plan, which waits
//! for the next midnight (Stockholm) and is then applied by the node itself, with the bill
//! charging each day to the plan in force.

use crate::helpers::*;
use crate::portal::{Visitor, add_user};
use avisera_domain::plan::Plan;
use avisera_domain::user::Role;
use avisera_domain::{FixedClock, TenantId};
use jiff::SignedDuration;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_admin_asks_for_premium_and_gets_it_from_midnight_on_the_bill_too() {
    // The tenant is made on the 1st; the admin asks on the 7th.
    let clock = Arc::new(FixedClock::new("2026-12-01T10:00:00Z".parse().unwrap()));
    let app = spawn_app_at(Db::Sqlite, clock.clone()).await;
    clock.set("2026-12-07T10:00:00Z".parse().unwrap());
    let store = &app.app.store;
    let password = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let mut admin = Visitor::new(&app.base);
    admin.sign_in("anna@webshop.se", &password).await;

    let page = admin.get("/portal/plans").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Price rates"), "{}", page.body);
    assert!(page.body.contains("id=\"change-to-premium\""), "{}", page.body);
    assert!(
        page.body.contains("id=\"trigger-customs\""),
        "every trigger has its row"
    );

    // An editor reads it but cannot change the plan.
    let editor_password = add_user(&app, 1, "bo@webshop.se", Role::Editor).await;
    let mut editor = Visitor::new(&app.base);
    editor.sign_in("bo@webshop.se", &editor_password).await;
    let page = editor.get("/portal/plans").await;
    assert!(!page.body.contains("change-to-premium"), "no buttons for an editor");
    let csrf = page.csrf();
    let refused = editor
        .post("/portal/plans", &[("csrf", &csrf), ("plan", "enterprise")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let csrf = admin.get("/portal/plans").await.csrf();
    let asked = admin
        .post("/portal/plans", &[("csrf", &csrf), ("plan", "premium")])
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let page = admin.get("/portal/plans").await;
    assert!(
        page.body
            .contains("Changing to Premium from 2026-12-08 (asked by anna@webshop.se)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"keep-plus\""), "{}", page.body);
    // The overview says it too, where the bill is.
    let overview = editor.get("/portal").await;
    assert!(
        overview
            .body
            .contains("Changing to Premium from 2026-12-08 (asked by anna@webshop.se)"),
        "{}",
        overview.body
    );
    assert_eq!(
        store.tenant(TenantId(1)).await.unwrap().unwrap().plan,
        Plan::Plus,
        "still Plus today"
    );

    // Midnight in Stockholm: the node's upkeep applies it.
    clock.advance(SignedDuration::from_hours(13));
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.tenant(TenantId(1)).await.unwrap().unwrap().plan != Plan::Premium {
        assert!(Instant::now() < deadline, "the requested plan was never applied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = admin.get("/portal/plans").await;
    assert!(!page.body.contains("plan-request"), "nothing waits any more");
    assert!(!admin.get("/portal").await.body.contains("plan-request"));
    let periods = store.plan_periods(TenantId(1)).await.unwrap();
    let last = periods.last().unwrap();
    assert_eq!(
        (last.plan, last.from),
        (Plan::Premium, "2026-12-07T23:00:00Z".parse().unwrap())
    );
    let (status, bill) = app.call("GET", "/v1/bill?month=2026-12", None).await;
    assert_eq!(status, StatusCode::OK, "{bill}");
    let lines = bill["lines"].to_string();
    assert!(lines.contains("Plus monthly fee, days 2-7"), "{lines}");
    assert!(lines.contains("Premium monthly fee, days 8-31"), "{lines}");
}
