//! Self-service sign-up over real HTTP, with the confirmation email through a real SMTP server:
//! a form with mistakes names each, a good one emails a link, the link's page creates nothing
//! until its button is pressed, and then the tenant, its admin and a session exist.

use crate::helpers::*;
use crate::portal::{Visitor, add_user};
use avisera_domain::user::Role;
use reqwest::StatusCode;

fn good<'a>(csrf: &'a str, organisation: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("country", "NO"),
        ("organisation_number", organisation),
        ("company", "Fjord Sko AS"),
        ("name", "Kari Nordmann"),
        ("email", email),
        ("password", "a long enough secret"),
        ("plan", "premium"),
        ("terms", "yes"),
    ]
}

/// The confirmation link in a mail, as a path on this server.
fn link_in(text: &str) -> String {
    let at = text
        .find("https://track.example.com/signup/confirm/")
        .expect("a confirmation link");
    let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.replace("https://track.example.com", "")
}

#[tokio::test]
async fn a_business_signs_up_confirms_by_email_and_lands_in_its_own_portal() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    let mut v = Visitor::new(&app.base);

    // Mistakes: each named beside its field, what was typed kept (never the password).
    let csrf = v.get("/signup").await.csrf();
    let mut wrong = good(&csrf, "923 609 017", "kari@fjordsko.example");
    wrong.retain(|(k, _)| *k != "terms");
    let page = v.post("/signup", &wrong).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("is not a Norwegian organisasjonsnummer"),
        "{}",
        page.body
    );
    assert!(page.body.contains("accept the terms of service"), "{}", page.body);
    assert!(
        page.body.contains("value=\"Fjord Sko AS\""),
        "the company typed is kept"
    );
    assert!(
        !page.body.contains("a long enough secret"),
        "the password is never sent back"
    );
    assert!(smtp.mails().is_empty(), "nothing sent for a refused form");

    // A good form: one email with a link, in the language of the page (English here).
    let csrf = page.csrf();
    let page = v
        .post("/signup", &good(&csrf, "923 609 016", "Kari@Fjordsko.example"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("We sent a link to Kari@fjordsko.example"),
        "{}",
        page.body
    );
    let mails = smtp.wait_for_mails(1).await;
    assert_eq!(mails[0]["to"], "Kari@fjordsko.example");
    assert_eq!(mails[0]["subject"], "Confirm the Avisera account of Fjord Sko AS");
    let text = mails[0]["text"].as_str().unwrap();
    assert!(text.contains("923 609 016"), "{text}");
    let link = link_in(text);

    // Opening the link (as a mail scanner would) creates nothing: it asks.
    let mut browser = Visitor::new(&app.base);
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Fjord Sko AS") && page.body.contains("Premium"),
        "{}",
        page.body
    );
    assert_eq!(
        browser
            .sign_in("kari@fjordsko.example", "a long enough secret")
            .await
            .status,
        StatusCode::OK,
        "no account before the confirmation: the sign-in form again"
    );

    // Confirming makes the tenant and its admin, and signs the admin in.
    let page = browser.post(&link, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/portal"));
    let portal = browser.get("/portal").await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(portal.body.contains("Fjord Sko AS"), "{}", portal.body);
    let users = browser.get("/portal/users").await;
    assert!(users.body.contains("kari@fjordsko.example"), "{}", users.body);
    let tenants = app.app.store.tenants().await.unwrap();
    let made = tenants
        .iter()
        .find(|t| t.name == "Fjord Sko AS")
        .expect("the new tenant");
    assert_eq!(made.plan, avisera_domain::plan::Plan::Premium);

    // The link works once; the password chosen at sign-up signs in.
    let again = Visitor::new(&app.base).post(&link, &[]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.body.contains("no longer works"), "{}", again.body);
    let mut later = Visitor::new(&app.base);
    let signed = later.sign_in("kari@fjordsko.example", "a long enough secret").await;
    assert_eq!(signed.location.as_deref(), Some("/portal"));

    // The organisation has its account: a second sign-up for it (another person, on a page
    // in Danish) gets the page any sign-up gets, and makes nothing; the organisation's admin
    // is told who asked, in the language of that page.
    let mut other = Visitor::new(&app.base);
    other.get("/portal/lang?to=da&back=/signup").await;
    let csrf = other.get("/signup").await.csrf();
    let page = other
        .post("/signup", &good(&csrf, "923609016", "ola@fjordsko.example"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("lang=\"da\""), "{}", page.body);
    assert!(page.body.contains("ola@fjordsko.example"), "{}", page.body);
    assert_eq!(app.app.store.tenants().await.unwrap().len(), tenants.len());
    let mails = smtp.wait_for_mails(2).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(
        mails.iter().all(|m| m["to"] != "ola@fjordsko.example"),
        "the one who asked gets nothing that would tell: {mails:#?}"
    );
    let told = mails
        .iter()
        .find(|m| m["subject"] == "Nogen vil bruge Avisera for 923 609 016")
        .expect("the admin is told, in Danish");
    assert_eq!(told["to"], "kari@fjordsko.example");
    let text = told["text"].as_str().unwrap();
    assert!(
        text.contains("»Kari Nordmann« og adressen ola@fjordsko.example")
            && text.contains("Tilføj vedkommende som bruger her")
            && text.contains("https://track.example.com/portal/users"),
        "{text}"
    );
    assert!(!text.contains("Someone"), "no English left: {text}");
}

/// Sign-up as an address that signs in already: the same page as a new address gets (so the
/// form tells nobody who has an account), nothing is made, and the address's owner gets an
/// email with a link to choose a new password, which works.
#[tokio::test]
async fn signing_up_with_an_address_that_has_an_account_answers_as_for_any_and_tells_its_owner() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    let old = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;

    // On a page in Finnish: both emails (to the address's owner, and the new sign-up's
    // confirmation) are in Finnish.
    let mut stranger = Visitor::new(&app.base);
    stranger.get("/portal/lang?to=fi&back=/signup").await;
    let form = stranger.get("/signup").await;
    assert!(form.body.contains("lang=\"fi\""), "{}", form.body);
    let csrf = form.csrf();
    let taken = stranger
        .post("/signup", &good(&csrf, "923 609 016", "anna@webshop.se"))
        .await;
    let csrf = stranger.get("/signup").await.csrf();
    let fresh = stranger
        .post("/signup", &good(&csrf, "914 778 271", "nina@fjordsko.example"))
        .await;
    assert_eq!((taken.status, fresh.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        taken.body.replace("anna@webshop.se", "ADDRESS"),
        fresh.body.replace("nina@fjordsko.example", "ADDRESS"),
        "the two answers differ only in the address"
    );

    let mails = smtp.wait_for_mails(2).await;
    let to_anna = mails
        .iter()
        .find(|m| m["to"] == "anna@webshop.se")
        .expect("the address's owner is told");
    assert_eq!(to_anna["subject"], "Joku yritti luoda Avisera-tilin osoitteellasi");
    let text = to_anna["text"].as_str().unwrap();
    assert!(text.contains("Uutta tiliä ei luotu"), "{text}");
    assert!(!text.contains("No new account was made"), "{text}");
    assert!(text.contains("https://track.example.com/portal/login"), "{text}");
    let to_nina = mails
        .iter()
        .find(|m| m["to"] == "nina@fjordsko.example")
        .expect("the new address gets its confirmation");
    assert_eq!(to_nina["subject"], "Vahvista yrityksen Fjord Sko AS Avisera-tili");
    let confirm = to_nina["text"].as_str().unwrap();
    assert!(
        confirm.starts_with("Hei Kari Nordmann,") && confirm.contains("Linkki toimii 24 tuntia"),
        "{confirm}"
    );
    assert!(!link_in(confirm).is_empty());
    assert_eq!(
        app.app.store.tenants().await.unwrap().len(),
        1,
        "no tenant for the taken address (the fresh one waits for its link)"
    );
    let (user, _) = app.app.store.user_by_email("anna@webshop.se").await.unwrap().unwrap();
    assert_eq!(user.tenant_id.0, 1, "still the same account");

    // The mail's reset link sets a new password.
    let at = text
        .find("https://track.example.com/portal/password/reset/")
        .expect("a reset link");
    let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    let link = link.replace("https://track.example.com", "");
    let mut anna = Visitor::new(&app.base);
    let page = anna.post(&link, &[("new_password", "ett nytt långt lösenord")]).await;
    assert_eq!(page.location.as_deref(), Some("/portal"), "{}", page.body);
    let mut later = Visitor::new(&app.base);
    assert_eq!(later.sign_in("anna@webshop.se", &old).await.status, StatusCode::OK);
    assert_eq!(
        later.sign_in("anna@webshop.se", "ett nytt långt lösenord").await.status,
        StatusCode::SEE_OTHER
    );
}

/// Signing up with the same address again and again does not fill its inbox: after a few,
/// the page answers as before and sends nothing.
#[tokio::test]
async fn repeated_sign_ups_with_one_address_send_a_few_emails_and_then_none() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Sqlite, None, Some(smtp_config(&smtp))).await;
    add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let mut stranger = Visitor::new(&app.base);
    for _ in 0..8 {
        let csrf = stranger.get("/signup").await.csrf();
        let page = stranger
            .post("/signup", &good(&csrf, "923 609 016", "anna@webshop.se"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("We sent a link to anna@webshop.se"), "{}", page.body);
    }
    let max = avisera_core::users::password::MAX_FAILURES as usize;
    let mails = smtp.wait_for_mails(max).await;
    assert_eq!(mails.len(), max, "{mails:#?}");
}

#[tokio::test]
async fn an_operator_can_close_sign_up_and_a_form_then_creates_nothing() {
    let app = spawn_app_configured(Db::Sqlite, None, None, |c| c.signup = false).await;
    let mut v = Visitor::new(&app.base);
    let page = v.get("/signup").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Sign-up is closed"), "{}", page.body);
    let page = v
        .post("/signup", &good("x", "923 609 016", "kari@fjordsko.example"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(inbox(&app).await.is_empty());
    assert_eq!(
        app.app.store.tenants().await.unwrap().len(),
        1,
        "only the test's own tenant"
    );
    let login = v.get("/portal/login").await;
    assert!(!login.body.contains("/signup"), "no sign-up link when it is closed");
}

#[tokio::test]
async fn a_sign_up_form_without_its_csrf_token_or_from_another_site_is_refused() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = Visitor::new(&app.base);
    let page = v
        .post("/signup", &good("forged", "923 609 016", "kari@fjordsko.example"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(inbox(&app).await.is_empty());
}
