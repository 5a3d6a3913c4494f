//! A user's account in real headless Chromium, with the emails from a real SMTP server: a
//! forgotten password reset from the sign-in page to signing in with the new one, and a
//! sign-up with an address that has an account, which looks like any other sign-up.

use crate::browser::{browser, click, fill, screenshot, start_driver, wait_text};
use crate::helpers::*;
use crate::portal::add_user;
use avisera_domain::user::Role;
use fantoccini::{Client, Locator};

/// The path of the first `https://track.example.com/...` link after `prefix` in a mail's text.
fn link_path(text: &str, prefix: &str) -> String {
    let at = text
        .find(&format!("https://track.example.com{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.replace("https://track.example.com", "")
}

async fn sign_in(c: &Client, base: &str, email: &str, password: &str) {
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{base}/portal/login")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", password).await;
    click(c, "button[type=submit]").await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_in_the_browser_by_the_emailed_link_once() {
    let driver = start_driver().await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Sqlite, None, Some(smtp_config(&smtp))).await;
    let old = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        // From the sign-in page: "Forgot your password?", the address, the link sent.
        c.goto(&format!("{base}/portal/login")).await.unwrap();
        click(&c, "#forgot-password").await;
        wait_text(&c, "h1", "Forgot your password?").await;
        fill(&c, "#email", "anna@webshop.se").await;
        click(&c, "button[type=submit]").await;
        wait_text(
            &c,
            "#reset-sent",
            "If anna@webshop.se signs in to Avisera, a link is on its way",
        )
        .await;
        screenshot(&c, "30-password-link-sent").await;

        let mails = smtp.wait_for_mails(1).await;
        assert_eq!(mails[0]["to"], "anna@webshop.se");
        assert_eq!(mails[0]["subject"], "A new Avisera password");
        let link = link_path(mails[0]["text"].as_str().unwrap(), "/portal/password/reset/");

        // The link's page: a new password, and the portal.
        c.goto(&format!("{base}{link}")).await.unwrap();
        wait_text(&c, "#reset-for", "anna@webshop.se").await;
        screenshot(&c, "31-password-choose").await;
        fill(&c, "#new_password", "ett nytt långt lösenord").await;
        click(&c, "#set-password").await;
        wait_text(&c, "h1", "Overview").await;

        // Signed out: the old password fails, the new one signs in.
        sign_in(&c, &base, "anna@webshop.se", &old).await;
        wait_text(&c, "#login-error", "The email or the password is wrong").await;
        sign_in(&c, &base, "anna@webshop.se", "ett nytt långt lösenord").await;
        wait_text(&c, "h1", "Overview").await;

        // The link works once.
        c.delete_all_cookies().await.unwrap();
        c.goto(&format!("{base}{link}")).await.unwrap();
        wait_text(&c, "h1", "This link no longer works").await;
        wait_text(&c, "#reset-problem", "was already used").await;
    }
    .await;
    let _ = c.close().await;
    assert_eq!(smtp.mails().len(), 1, "one email in all");
}

/// Fills the sign-up form with `email` and sends it; returns the text of the page it led to.
async fn sign_up(c: &Client, base: &str, organisation: &str, email: &str) -> String {
    c.goto(&format!("{base}/signup")).await.unwrap();
    wait_text(c, "h1", "Create a business account").await;
    c.find(Locator::Css("#country option[value=NO]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(c, "#organisation_number", organisation).await;
    fill(c, "#company", "Fjord Sko AS").await;
    fill(c, "#name", "Kari Nordmann").await;
    fill(c, "#email", email).await;
    fill(c, "#password", "a long enough secret").await;
    click(c, "#terms").await;
    click(c, "button[type=submit]").await;
    wait_text(c, "#signup-sent", email).await;
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn signing_up_in_the_browser_with_an_address_that_has_an_account_shows_the_page_a_new_one_gets() {
    let driver = start_driver().await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Sqlite, None, Some(smtp_config(&smtp))).await;
    add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    let (taken, fresh) = async {
        let taken = sign_up(&c, &base, "923 609 016", "anna@webshop.se").await;
        screenshot(&c, "32-sign-up-sent").await;
        let fresh = sign_up(&c, &base, "914 778 271", "kari@fjordsko.example").await;
        (taken, fresh)
    }
    .await;
    let _ = c.close().await;
    assert_eq!(
        taken.replace("anna@webshop.se", "ADDRESS"),
        fresh.replace("kari@fjordsko.example", "ADDRESS"),
        "the same page either way"
    );
    let mails = smtp.wait_for_mails(2).await;
    let subjects = |to: &str| -> Vec<String> {
        mails
            .iter()
            .filter(|m| m["to"] == to)
            .map(|m| m["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        subjects("anna@webshop.se"),
        ["Someone tried to create an Avisera account with your address"]
    );
    assert_eq!(
        subjects("kari@fjordsko.example"),
        ["Confirm the Avisera account of Fjord Sko AS"]
    );
}
