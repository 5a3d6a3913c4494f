//! A user's own account over real HTTP: a forgotten password reset by a link from a real SMTP
//! server, a password changed on the account page, and an admin changing a role and removing a
//! user after a confirmation. Every new password ends the user's other sign-ins.

use crate::helpers::*;
use crate::portal::{Visitor, add_user};
use avisera_domain::user::Role;
use reqwest::StatusCode;

fn reset_path(text: &str) -> String {
    let at = text
        .find("https://track.example.com/portal/password/reset/")
        .expect("a reset link");
    let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.replace("https://track.example.com", "")
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_an_emailed_link_that_works_once() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    let old = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let mut elsewhere = Visitor::new(&app.base);
    assert_eq!(
        elsewhere.sign_in("anna@webshop.se", &old).await.status,
        StatusCode::SEE_OTHER
    );

    // An unknown address gets the same answer and no mail.
    let mut v = Visitor::new(&app.base);
    let csrf = v.get("/portal/password/forgot").await.csrf();
    let page = v
        .post(
            "/portal/password/forgot",
            &[("csrf", &csrf), ("email", "nobody@webshop.se")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("If nobody@webshop.se signs in to Avisera"),
        "{}",
        page.body
    );
    let csrf = v.get("/portal/password/forgot").await.csrf();
    let page = v
        .post(
            "/portal/password/forgot",
            &[("csrf", &csrf), ("email", "Anna@Webshop.se")],
        )
        .await;
    assert!(page.body.contains("a link is on its way"), "{}", page.body);
    let unknown = v
        .post(
            "/portal/password/forgot",
            &[("csrf", &csrf), ("email", "Nobody@Webshop.se")],
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.body.replace("Nobody@Webshop.se", "ADDRESS")),
        (page.status, page.body.replace("Anna@Webshop.se", "ADDRESS")),
        "the same answer for an address with an account and one without"
    );
    let mails = smtp.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1, "only the known address got a mail");
    assert_eq!(mails[0]["to"], "anna@webshop.se");
    assert_eq!(mails[0]["subject"], "A new Avisera password");
    let link = reset_path(mails[0]["text"].as_str().unwrap());

    // Too short: said on the page, nothing changed, the link still works.
    let page = v.get(&link).await;
    assert!(page.body.contains("anna@webshop.se"), "{}", page.body);
    let page = v.post(&link, &[("new_password", "short")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("at least"), "{}", page.body);

    let page = v.post(&link, &[("new_password", "ett nytt långt lösenord")]).await;
    assert_eq!(page.location.as_deref(), Some("/portal"), "{}", page.body);
    assert_eq!(v.get("/portal").await.status, StatusCode::OK, "signed in by the reset");
    assert_eq!(
        elsewhere.get("/portal").await.status,
        StatusCode::SEE_OTHER,
        "the sign-in elsewhere ended with the old password"
    );
    let mut fresh = Visitor::new(&app.base);
    assert_eq!(
        fresh.sign_in("anna@webshop.se", &old).await.status,
        StatusCode::OK,
        "the old password is refused"
    );
    let signed = fresh.sign_in("anna@webshop.se", "ett nytt långt lösenord").await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);

    let again = Visitor::new(&app.base)
        .post(&link, &[("new_password", "ett tredje långt lösenord")])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the link works once");
    assert!(again.body.contains("no longer works"));

    // Asked for on a page in Norwegian, the link comes in Norwegian.
    let mut norwegian = Visitor::new(&app.base);
    norwegian.get("/portal/lang?to=nb&back=/portal/password/forgot").await;
    let csrf = norwegian.get("/portal/password/forgot").await.csrf();
    norwegian
        .post(
            "/portal/password/forgot",
            &[("csrf", &csrf), ("email", "anna@webshop.se")],
        )
        .await;
    // A maildir lists its mails in no particular order: the Norwegian one by its subject.
    let mails = smtp.wait_for_mails(2).await;
    let subjects: Vec<&str> = mails.iter().filter_map(|m| m["subject"].as_str()).collect();
    assert_eq!(subjects.len(), 2, "{mails:#?}");
    assert!(subjects.contains(&"A new Avisera password"), "{subjects:?}");
    let mail = mails
        .iter()
        .find(|m| m["subject"] == "Nytt passord til Avisera")
        .unwrap_or_else(|| panic!("no reset email in Norwegian: {subjects:?}"));
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("Velg et nytt her") && text.contains("Lenken virker i 60 minutter"),
        "{text}"
    );
    assert!(!text.contains("The link works"), "{text}");
    let link = reset_path(text);
    assert!(
        Visitor::new(&app.base)
            .get(&link)
            .await
            .body
            .contains("anna@webshop.se")
    );
}

#[tokio::test]
async fn a_user_changes_their_password_and_an_admin_changes_a_role_and_removes_a_user() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let password = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let bo_password = add_user(&app, 1, "bo@webshop.se", Role::Editor).await;
    let mut anna = Visitor::new(&app.base);
    anna.sign_in("anna@webshop.se", &password).await;
    let mut other_tab = Visitor::new(&app.base);
    other_tab.sign_in("anna@webshop.se", &password).await;

    // Her own password: the current one is asked for.
    let csrf = anna.get("/portal/account").await.csrf();
    let wrong = anna
        .post(
            "/portal/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", "a guess at it"),
                ("new_password", "ett nytt långt lösenord"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("not your current password"), "{}", wrong.body);
    let changed = anna
        .post(
            "/portal/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", &password),
                ("new_password", "ett nytt långt lösenord"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let page = anna.get("/portal/account?saved=1").await;
    assert!(page.body.contains("Your password is changed"), "{}", page.body);
    assert_eq!(
        other_tab.get("/portal").await.status,
        StatusCode::SEE_OTHER,
        "other sign-ins ended"
    );

    // Bo from editor to viewer: he can no longer write a rule.
    let users = anna.get("/portal/users").await;
    let bo = app.app.store.user_by_email("bo@webshop.se").await.unwrap().unwrap().0;
    let me = app.app.store.user_by_email("anna@webshop.se").await.unwrap().unwrap().0;
    assert!(users.body.contains(&format!("id=\"change-role-{}\"", bo.id)));
    let csrf = users.csrf();
    let page = anna
        .post(
            &format!("/portal/users/{}/role", bo.id),
            &[("csrf", &csrf), ("role", "viewer")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let back = anna.get(page.location.as_deref().unwrap()).await;
    assert!(
        back.body.contains("Anna (bo@webshop.se) now has the role Viewer."),
        "the list says what changed: {}",
        back.body
    );
    let own = anna
        .post(
            &format!("/portal/users/{}/role", me.id),
            &[("csrf", &csrf), ("role", "viewer")],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.body.contains("cannot change your own role"), "{}", own.body);
    let mut bo_browser = Visitor::new(&app.base);
    bo_browser.sign_in("bo@webshop.se", &bo_password).await;
    let rules = bo_browser.get("/portal/rules/new").await;
    assert_eq!(rules.status, StatusCode::FORBIDDEN, "a viewer writes no rules");

    // Removing asks first; the question's form removes him.
    let question = anna.get(&format!("/portal/users/{}/delete", bo.id)).await;
    assert!(
        question.body.contains("Remove Anna (bo@webshop.se)?"),
        "{}",
        question.body
    );
    assert!(
        app.app.store.user_by_email("bo@webshop.se").await.unwrap().is_some(),
        "not yet"
    );
    let csrf = question.csrf();
    let removed = anna
        .post(&format!("/portal/users/{}/delete", bo.id), &[("csrf", &csrf)])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(app.app.store.user_by_email("bo@webshop.se").await.unwrap().is_none());
    let back = anna.get(removed.location.as_deref().unwrap()).await;
    assert!(
        back.body.contains("The user is removed: they can no longer sign in."),
        "{}",
        back.body
    );
    assert!(!back.body.contains("bo@webshop.se"), "{}", back.body);
    assert_eq!(
        bo_browser.get("/portal").await.status,
        StatusCode::SEE_OTHER,
        "a removed user's sign-in ends at once"
    );
}
