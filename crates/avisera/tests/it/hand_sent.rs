//! Issue 16 part 5, send by hand: an email typed in Track & Trace arrives (at a real SMTP
//! server) in the brand layout, as a rule's would, in the brand picked or the default one.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_core::tenants;
use avisera_domain::TenantId;
use avisera_domain::colour::Colour;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn an_email_typed_by_hand_arrives_in_the_brand_layout_of_the_brand_picked() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    let store = app.app.store.as_ref();
    let tenant = store.tenant(TenantId(1)).await.unwrap().unwrap();
    let mut outlet = Brand::named("Outlet");
    outlet.email_from_name = "Outlet Kundservice".into();
    outlet.colour = Colour::parse("#AA0033").unwrap();
    outlet.customer_service_email = Some(avisera_domain::contact::EmailAddress::parse("hej@outlet.example").unwrap());
    let b = tenants::save_other_brand(store, &tenant, None, outlet).await.unwrap();
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(event("HAND-MAIL-1", "EN_ROUTE", "0701234567")),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let mut v = signed_in(&app, Role::Editor).await;
    let page = v.get("/portal/track/HAND-MAIL-1").await;
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\">Outlet</option>", b.0)),
        "the brand can be picked: {}",
        page.body
    );
    let csrf = page.csrf();
    let brand = b.0.to_string();
    for (key, brand) in [("a1b2c3d4e5f6a7b8c9d0", ""), ("b1b2c3d4e5f6a7b8c9d0", brand.as_str())] {
        let sent = v
            .post(
                "/portal/track/HAND-MAIL-1/send",
                &[
                    ("csrf", csrf.as_str()),
                    ("send_key", key),
                    ("channel", "email"),
                    ("subject", "Din leverans <flyttas>"),
                    ("text", "Hej Anna!\r\n\r\nVi har flyttat din leverans till i morgon & ber om ursäkt.\r\nVänliga hälsningar"),
                    ("brand_id", brand),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    }
    let mut mails = smtp.wait_for_mails(2).await;
    mails.sort_by_key(|m| m["from"].as_str().unwrap().contains("Outlet"));
    let (default, outlet) = (&mails[0], &mails[1]);
    let default_name = tenant.brand.email_from_name.clone();
    assert!(
        default["from"]
            .as_str()
            .unwrap()
            .starts_with(&format!("\"{default_name}\" <")),
        "{default:#}"
    );
    for (mail, colour, name) in [
        (default, "#1f5f99", tenant.brand.brand_name.as_str()),
        (outlet, "#aa0033", "Outlet"),
    ] {
        let html = mail["html"]
            .as_str()
            .unwrap_or_else(|| panic!("an HTML part: {mail:#}"));
        assert!(html.contains("class=\"brand-header\""), "{html}");
        assert!(html.contains(&format!("border-top:4px solid {colour}")), "{html}");
        assert!(
            html.contains(&format!("{name}</span>")),
            "the brand's name in the header: {html}"
        );
        assert!(html.contains("<title>Din leverans &lt;flyttas&gt;</title>"), "{html}");
        assert!(html.contains(">Hej Anna!</p>"), "a paragraph per block of text: {html}");
        assert!(
            html.contains(">Vi har flyttat din leverans till i morgon &amp; ber om ursäkt.<br>Vänliga hälsningar</p>"),
            "{html}"
        );
        // The footer's opt-out link is the one in the List-Unsubscribe header.
        let link = mail["list_unsubscribe"]
            .as_str()
            .unwrap()
            .trim_matches(['<', '>'])
            .to_string();
        assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
        assert_eq!(html.matches("class=\"opt-out\"").count(), 1, "{html}");
        assert!(
            mail["text"].as_str().unwrap().contains("Vi har flyttat din leverans"),
            "{mail:#}"
        );
    }
    assert!(
        outlet["from"].as_str().unwrap().starts_with("\"Outlet Kundservice\" <"),
        "{outlet:#}"
    );
    assert!(
        outlet["html"].as_str().unwrap().contains("mailto:hej@outlet.example"),
        "Outlet's customer service in the footer"
    );
}
