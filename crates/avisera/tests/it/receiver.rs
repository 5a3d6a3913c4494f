//! What a receiver does with the links in a message: follow the shipment, and opt out.

use crate::helpers::*;
use serde_json::json;

fn link_in(text: &str, path: &str) -> String {
    let start = text
        .find("https://track.example.com")
        .unwrap_or_else(|| panic!("no link in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.contains(path), "{link}");
    link.replace("https://track.example.com", "")
}

#[tokio::test]
async fn the_tracking_link_shows_the_shipment_and_a_forged_one_shows_nothing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    enabled_rule_for(
        &app,
        json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "Spåra: {{ tracking_link }}"}}}),
    )
    .await;
    let mut e = event("TRACK1", "DELIVERED", "+46701234561");
    e["location"] = json!("Solna");
    app.call("POST", "/v1/events", Some(e)).await;
    app.settled_notifications().await;
    let path = link_in(inbox(&app).await[0]["text"].as_str().unwrap(), "/s/");
    let page = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Webshop AB") && html.contains("TRACK1") && html.contains("Levererat") && html.contains("Solna"),
        "{html}"
    );
    // The link is short enough for an SMS: base, shipment id and a 13-character token at most.
    assert!(path.len() <= "/s/1/".len() + 20 + 1 + 13, "{path}");
    // Another shipment's id with this token, or this id under another tenant, shows nothing.
    app.call("POST", "/v1/events", Some(event("TRACK2", "DELIVERED", "+46701234562")))
        .await;
    let parts: Vec<&str> = path.split('/').collect();
    let id: i64 = parts[3].parse().unwrap();
    let status = |p: String| {
        let http = app.http.clone();
        let base = app.base.clone();
        async move { http.get(format!("{base}{p}")).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(format!("/s/1/{}/{}", id + 1, parts[4])).await, 404);
    assert_eq!(status(format!("/s/2/{id}/{}", parts[4])).await, 404);
    assert_eq!(status(format!("/s/1/{id}/{}x", parts[4])).await, 404);
    // Links sent before the short form keep working.
    let old = app.app.links.token(
        avisera::links::LinkKind::Tracking,
        avisera_domain::TenantId(1),
        "TRACK1",
    );
    assert_eq!(status(format!("/t/1/TRACK1/{old}")).await, 200);
    assert_eq!(status(format!("/t/1/TRACK2/{old}")).await, 404);
}

#[tokio::test]
async fn an_opt_out_stops_every_later_message_at_once_and_says_why() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let (_, t) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "t", "channel": "sms", "default_language": "sv",
               "contents": {"sv": {"text": "Paket {{ tracking_number }}. Avsluta: {{ unsubscribe_link }}"}}})),
        )
        .await;
    for trigger in ["delivered", "transport_order_received"] {
        let (_, r) = app
            .call(
                "POST",
                "/v1/rules",
                Some(json!({"name": trigger, "trigger": trigger, "channels": "sms", "sms_template_id": t["id"]})),
            )
            .await;
        app.call("POST", &format!("/v1/rules/{}/enable", r["id"]), None).await;
    }
    app.call("POST", "/v1/events", Some(event("OPT1", "DELIVERED", "070-123 45 61")))
        .await;
    app.settled_notifications().await;
    let path = link_in(inbox(&app).await[0]["text"].as_str().unwrap(), "/u/");
    // Short, and it names the receiver by an opaque token: no number, no tenant, no name.
    assert!(
        path.len() <= 32 && !path.contains('?') && !path.contains("1234561"),
        "{path}"
    );

    let page = app.page(&path).await;
    assert!(
        page.contains("Vill du sluta få meddelanden från Webshop AB?")
            && page.contains("Du får inga fler sms eller mejl från Webshop AB om dina paket.")
            && page.contains("<form method=\"post\">"),
        "{page}"
    );
    let last = path.chars().last().unwrap();
    let tampered = format!("{}{}", &path[..path.len() - 1], if last == 'a' { 'b' } else { 'a' });
    assert_eq!(
        app.http
            .post(format!("{}{tampered}", app.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let done = app.http.post(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(done.status().as_u16(), 200);
    let done = done.text().await.unwrap();
    assert!(done.contains("Klart.") && done.contains("Ångrat dig?"), "{done}");

    // Any later rule, for any shipment, to that number: cancelled with the reason.
    app.call("POST", "/v1/events", Some(event("OPT2", "CREATED", "+46 70 123 45 61")))
        .await;
    let list = app.settled_notifications().await;
    let later = list.iter().find(|n| n["tracking_number"] == "OPT2").unwrap();
    assert_eq!(later["status"], "cancelled");
    assert!(
        later["reason"].as_str().unwrap().starts_with("the receiver opted out"),
        "{later}"
    );
    assert_eq!(inbox(&app).await.len(), 1, "nothing more reached the receiver");
    // Another receiver (another phone and email) still gets messages.
    let mut other = event("OPT3", "CREATED", "+46701234599");
    other["shipment"]["receiver"]["email"] = json!("bo@example.se");
    app.call("POST", "/v1/events", Some(other)).await;
    app.settled_notifications().await;
    assert_eq!(inbox(&app).await.len(), 2);
}

#[tokio::test]
async fn an_opt_out_link_sent_before_receivers_still_stops_the_receiver_on_every_address() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let t = json!({"name": "t", "channel": "sms", "default_language": "sv",
                   "contents": {"sv": {"text": "Paket {{ tracking_number }}"}}});
    let rule = enabled_rule_for(&app, t).await;
    app.call("POST", "/v1/events", Some(event("OLD1", "DELIVERED", "+46701234561")))
        .await;
    app.settled_notifications().await;
    // The first form: tenant, an HMAC of the address, and the address in clear.
    let address = "+46701234561";
    let token = app.app.links.token(
        avisera::links::LinkKind::Unsubscribe,
        avisera_domain::TenantId(1),
        address,
    );
    let old = format!("/u/1/{token}?a=%2B46701234561");
    assert!(
        app.page(&old)
            .await
            .contains("Vill du sluta få meddelanden från Webshop AB?")
    );
    let done = app.http.post(format!("{}{old}", app.base)).send().await.unwrap();
    assert_eq!(done.status().as_u16(), 200);
    // The receiver's email (which came with the number) is stopped too.
    let (_, suppressed) = app.call("GET", "/v1/suppressions", None).await;
    let list = suppressed.to_string();
    assert!(
        list.contains("anna@example.se") && list.contains("+46701234561"),
        "{list}"
    );
    let _ = rule;
}

#[tokio::test]
async fn every_email_carries_one_click_list_unsubscribe_headers_that_opt_out() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    // A transactional-only template: no footer, but the headers all the same.
    let t = json!({"name": "t", "channel": "email", "default_language": "sv", "opt_out_footer": false,
                   "contents": {"sv": {"subject": "Paket {{ tracking_number }}", "text": "Levererat."}}});
    enabled_rule_for(&app, t).await;
    app.call("POST", "/v1/events", Some(event("HDR1", "DELIVERED", "+46701234561")))
        .await;
    let mails = smtp.wait_for_mails(1).await;
    let header = mails[0]["list_unsubscribe"].as_str().unwrap_or_default().to_string();
    assert!(
        header.starts_with("<https://track.example.com/u/") && header.ends_with('>'),
        "{mails:?}"
    );
    assert_eq!(mails[0]["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    assert_eq!(mails[0]["text"].as_str().unwrap().trim(), "Levererat.");
    // A mail client's one-click POST (RFC 8058) opts out.
    let path = header.trim_matches(['<', '>']).replace("https://track.example.com", "");
    let done = app
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);
    app.call("POST", "/v1/events", Some(event("HDR2", "DELIVERED", "+46701234561")))
        .await;
    let list = app.settled_notifications().await;
    let later = list.iter().find(|n| n["tracking_number"] == "HDR2").unwrap();
    assert_eq!(later["status"], "cancelled", "{later}");
    assert_eq!(smtp.mails().len(), 1);
}
