//! The portal in Swedish, Norwegian, Danish and Finnish says nothing in English: every main
//! page, rendered for a tenant with a bill, sent, failed and cancelled messages and a rule
//! with a history, is read as a person reads it (its visible text), and no English text of
//! the portal's table (nor a sentence core writes in English) may be on it.

use crate::helpers::{Db, spawn_app};
use crate::portal::{Visitor, signed_in};
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;

const TEXT: &str = include_str!("../../src/portal/text.tsv");

/// Column of each language in `text.tsv` after the key.
fn column(lang: &str) -> usize {
    ["en", "sv", "nb", "da", "fi"].iter().position(|l| *l == lang).unwrap()
}

/// The visible text of a page: text between tags and what inputs show, without the style,
/// scripts, the language switch (each language in its own name) and the values of form
/// fields (what the tenant typed).
pub(crate) fn visible(html: &str) -> String {
    let mut html = html.to_string();
    for (open, tag) in [
        ("<style", "style"),
        ("<script", "script"),
        ("<span class=\"langs\">", "span"),
        ("<textarea", "textarea"),
        ("<pre", "pre"),
    ] {
        while let Some(i) = html.find(open) {
            let end = element_end(&html[i..], tag).map_or(html.len(), |j| i + j);
            html.replace_range(i..end, " ");
        }
    }
    let mut out = String::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = &rest[i..end];
        // What a person reads in a tag: a placeholder, a label for the screen reader.
        for attr in ["placeholder=\"", "aria-label=\"", "title=\""] {
            if let Some(a) = tag.find(attr) {
                let v = &tag[a + attr.len()..];
                out.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                out.push(' ');
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace('\u{a0}', " ");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where the element `html` starts with ends (after its closing tag), counting nested ones.
fn element_end(html: &str, tag: &str) -> Option<usize> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut depth = 0;
    let mut at = 0;
    loop {
        let next_open = html[at..].find(&open).map(|i| at + i);
        let next_close = html[at..].find(&close).map(|i| at + i)?;
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o + open.len();
            }
            _ => {
                depth -= 1;
                at = next_close + close.len();
                if depth == 0 {
                    return Some(at);
                }
            }
        }
    }
}

/// Whole words of `text` (letters, digits, '-' and '_': a variable's name such as
/// `brand_colour` is a name, not English).
fn words(text: &str) -> BTreeSet<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The English pieces that must not be on a page in `lang`: each English text of the table
/// that the language writes differently, split where values are filled in; a piece of two
/// words or more as it is, a single word of four letters or more as a whole word (unless the
/// language's own texts use that word too).
fn english_pieces(lang: &str) -> (Vec<String>, BTreeSet<String>) {
    let mut phrases = BTreeSet::new();
    let mut single = BTreeSet::new();
    let mut own_words = BTreeSet::new();
    let rows: Vec<Vec<&str>> = TEXT
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').skip(1).collect())
        .collect();
    for row in &rows {
        // The language's own words, not the names of the values filled in (`{digits}`).
        let own: String = row[column(lang)]
            .split('{')
            .map(|part| part.split_once('}').map_or(part, |(_, after)| after))
            .collect::<Vec<_>>()
            .join(" ");
        for w in words(&own) {
            own_words.insert(w.to_string());
        }
    }
    for row in &rows {
        let (en, own) = (row[0], row[column(lang)]);
        if en == own {
            continue;
        }
        let mut literal = String::new();
        let mut depth = 0;
        let mut pieces = Vec::new();
        for c in en.chars() {
            match c {
                '{' => {
                    depth += 1;
                    pieces.push(std::mem::take(&mut literal));
                }
                '}' => depth -= 1,
                _ if depth == 0 => literal.push(c),
                _ => {}
            }
        }
        pieces.push(literal);
        for piece in pieces {
            let piece = piece.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
            let n = words(&piece).len();
            if n >= 2 {
                phrases.insert(piece);
            } else if n == 1 && piece.chars().count() >= 4 && !own_words.contains(&piece) {
                single.insert(piece);
            }
        }
    }
    (phrases.into_iter().collect(), single)
}

/// Small English words no Nordic text uses: a sentence written in English in a page or in
/// code, outside the table, has some of them.
const ENGLISH_WORDS: &[&str] = &[
    "the", "and", "of", "is", "with", "your", "this", "not", "was", "are", "has", "from", "will", "you", "been",
    "which", "when", "must",
];

/// Names that are the same in every language: ours, the plans', the seeded data's.
const PROPER: &[&str] = &["Avisera", "Plus", "Premium", "Enterprise", "Webshop", "Anna"];

/// Whether `phrase` is in `text` as whole words ("is for" is not in "Pris for").
fn has_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

pub(crate) fn english_on(page: &str, lang: &str) -> Vec<String> {
    let (phrases, single) = english_pieces(lang);
    let text = visible(page);
    let on_page = words(&text);
    let mut found: Vec<String> = phrases.into_iter().filter(|p| has_phrase(&text, p)).collect();
    found.extend(
        ENGLISH_WORDS
            .iter()
            .filter(|w| on_page.contains(**w))
            .map(|w| format!("the word {w:?}")),
    );
    found.extend(
        single
            .iter()
            .filter(|w| on_page.contains(w.as_str()) && !PROPER.contains(&w.as_str()))
            .cloned(),
    );
    found
}

/// A tenant with what the main pages show: a rule with a history, a template, a message sent
/// (on the bill), one that failed (no phone number), one cancelled by hand.
pub(crate) async fn seeded() -> (crate::helpers::TestApp, i64, i64) {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({
                "name": "Levererat", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": "Hej {{ receiver_name }}! Paket {{ tracking_number }} har levererats."}}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let mut rule_ids = Vec::new();
    for (name, delay) in [("Levererat nu", 0), ("Levererat sen", 120)] {
        let rule = json!({"name": name, "trigger": "delivered", "channels": "sms",
            "sms_template_id": template["id"], "delay_minutes": delay});
        let (status, rule) = app.call("POST", "/v1/rules", Some(rule)).await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        let id = rule["id"].as_i64().unwrap();
        let (status, body) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        rule_ids.push(id);
    }
    // Changed once, and enabled twice: every kind of line in the history.
    let rule = json!({"name": "Levererat nu", "trigger": "delivered", "channels": "sms",
        "sms_template_id": template["id"], "campaign": "Rea"});
    let (status, body) = app.call("PUT", &format!("/v1/rules/{}", rule_ids[0]), Some(rule)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.call("POST", &format!("/v1/rules/{}/enable", rule_ids[0]), None)
        .await;

    let sent = json!({
        "tracking_number": "LANG-1", "code": "DELIVERED", "occurred_at": "2026-11-25T14:05:00+01:00",
        "shipment": {"destination_country": "SE", "receiver": {"name": "Anna", "phone": "+46701234567", "language": "sv"}}
    });
    let no_phone = json!({
        "tracking_number": "LANG-2", "code": "DELIVERED", "occurred_at": "2026-11-25T14:05:00+01:00",
        "shipment": {"destination_country": "SE", "receiver": {"name": "Anna", "email": "anna@example.se", "language": "sv"}}
    });
    for e in [sent, no_phone] {
        let (status, body) = app.call("POST", "/v1/events", Some(e)).await;
        assert!(status.is_success(), "{body}");
    }
    // Until the message without delay is sent (the delayed ones wait).
    let mut tries = 0;
    loop {
        let (_, list) = app.call("GET", "/v1/notifications?tracking_number=LANG-1", None).await;
        let all = list["notifications"].as_array().cloned().unwrap_or_default();
        if all.iter().any(|n| n["status"] == "sent") {
            break;
        }
        tries += 1;
        assert!(tries < 200, "nothing was sent: {list}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (app, rule_ids[0], template["id"].as_i64().unwrap())
}

#[tokio::test]
async fn every_main_page_in_swedish_norwegian_danish_and_finnish_has_no_english_text() {
    let (app, rule, template) = seeded().await;
    let mut v: Visitor = signed_in(&app, Role::Admin).await;

    // One waiting message cancelled by hand, so the log has a reason for it.
    let (_, list) = app
        .call("GET", "/v1/notifications?tracking_number=LANG-1&status=scheduled", None)
        .await;
    let waiting = list["notifications"][0]["id"].as_i64().expect("a waiting message");
    let csrf = v.get("/portal/log").await.csrf();
    let done = v
        .post(
            &format!("/portal/log/{waiting}/cancel"),
            &[("csrf", &csrf), ("back", "/portal/log")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (_, n) = app.call("GET", &format!("/v1/notifications/{waiting}"), None).await;
    assert_eq!(n["reason_code"], "cancelled_by", "{n}");
    assert_eq!(n["reason"], "cancelled by admin@webshop.se (portal)", "{n}");
    let (_, failed) = app
        .call("GET", "/v1/notifications?tracking_number=LANG-2&status=failed", None)
        .await;
    assert_eq!(failed["notifications"][0]["reason_code"], "no_phone", "{failed}");
    assert_eq!(failed["notifications"][0]["reason"], "the receiver has no phone number");

    let pages = [
        "/portal".to_string(),
        "/portal/rules".into(),
        format!("/portal/rules/{rule}"),
        "/portal/rules/new".into(),
        "/portal/templates".into(),
        format!("/portal/templates/{template}"),
        "/portal/templates/new?channel=email".into(),
        "/portal/library".into(),
        "/portal/log".into(),
        "/portal/track".into(),
        "/portal/track?q=LANG".into(),
        "/portal/track/LANG-1".into(),
        "/portal/track/LANG-2".into(),
        "/portal/suppressions".into(),
        "/portal/users".into(),
        "/portal/brand".into(),
        "/portal/plans".into(),
        "/portal/account".into(),
        "/portal/rules/999999".into(),
        format!("/portal/rules/{rule}/delete"),
        "/portal/rules/deleted".into(),
        "/portal/ratings".into(),
        "/portal/api-keys".into(),
    ];
    let mut english = Vec::new();
    for lang in ["sv", "nb", "da", "fi"] {
        v.get(&format!("/portal/lang?to={lang}&back=/portal")).await;
        for path in &pages {
            let page = v.get(path).await;
            assert!(
                page.status.is_success() || page.status == StatusCode::NOT_FOUND,
                "{path} in {lang}: {}",
                page.status
            );
            assert!(
                page.body.contains(&format!("lang=\"{lang}\"")),
                "{path} is not in {lang}"
            );
            for found in english_on(&page.body, lang) {
                english.push(format!("{lang} {path}: {found:?}"));
            }
        }
        // A form that comes back with what to fix says it in the reader's language too.
        let csrf = v.get(&format!("/portal/rules/{rule}")).await.csrf();
        let refused = v
            .post(
                &format!("/portal/rules/{rule}"),
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "Levererat nu"),
                    ("trigger", "delivered"),
                    ("channels", "sms"),
                    ("sms_template_id", &template.to_string()),
                    ("delay_minutes", "soon"),
                    ("quiet_hours", "sms at night"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        for found in english_on(&refused.body, lang) {
            english.push(format!("{lang} rule form error: {found:?}"));
        }
        let bill = visible(&v.get("/portal").await.body);
        let written = match lang {
            "sv" => "kr",
            _ => "SEK",
        };
        assert!(
            bill.contains(&format!("0,75 {written}")),
            "{lang}: amounts as the language writes them: {bill}"
        );
    }
    assert!(
        english.is_empty(),
        "English on pages in another language:\n{}",
        english.join("\n")
    );
}

#[test]
fn the_check_finds_english_where_it_is() {
    let page = "<html><body><h1>Översikt</h1><p>Usage and cost this month</p><button>Sign out</button>\
        <span class=\"langs\"><span>Svenska</span> · <a>English</a></span><p>Last</p><textarea>the text you typed</textarea></body></html>";
    let found = english_on(page, "sv");
    assert!(found.contains(&"Usage and cost this month".to_string()), "{found:?}");
    assert!(found.contains(&"the word \"this\"".to_string()), "{found:?}");
    assert!(found.contains(&"Sign out".to_string()), "{found:?}");
    assert!(
        !found.iter().any(|f| f.contains("English") || f.contains("typed")),
        "{found:?}"
    );
    let swedish = "<html><body><h1>Översikt</h1><p>Användning och kostnad denna månad</p></body></html>";
    assert_eq!(english_on(swedish, "sv"), Vec::<String>::new());
}

/// The value of a form's hidden field.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {name} on the page")) + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// A form with mistakes, a refused action, a page asked for wrongly: what the user is told to
/// fix is in the page's language, on every form a person meets (sign-up, users, passwords, the
/// logo, the overview's month and budget, the log's and numbers' filters, sending by hand).
#[tokio::test]
async fn every_refused_form_in_swedish_norwegian_danish_and_finnish_says_what_to_fix_in_that_language() {
    let (app, _, _) = seeded().await;
    let mut v: Visitor = signed_in(&app, Role::Admin).await;
    let me = app
        .app
        .store
        .user_by_email("admin@webshop.se")
        .await
        .unwrap()
        .expect("the signed-in admin")
        .0
        .id
        .0;
    let (_, list) = app
        .call("GET", "/v1/notifications?tracking_number=LANG-1&status=sent", None)
        .await;
    let sent = list["notifications"][0]["id"].as_i64().expect("a sent message");
    let svg_with_script = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let mut english = Vec::new();
    let mut said = std::collections::BTreeMap::new();
    for lang in ["sv", "nb", "da", "fi"] {
        v.get(&format!("/portal/lang?to={lang}&back=/portal")).await;
        let mut refused: Vec<(String, crate::portal::Page)> = Vec::new();

        // Sign-up, by someone not signed in: every field wrong, then an address that signs in.
        let mut guest = Visitor::new(&app.base);
        guest.get(&format!("/portal/lang?to={lang}&back=/signup")).await;
        let csrf = guest.get("/signup").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("country", "SE"),
            ("organisation_number", "556036-0794"),
            ("company", ""),
            ("name", ""),
            ("email", "anna@"),
            ("password", "kort"),
            ("plan", "gold"),
        ];
        refused.push(("sign-up".into(), guest.post("/signup", &form).await));
        let csrf = guest.get("/signup").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("country", "NO"),
            ("organisation_number", "92360"),
            ("company", &"x".repeat(101)),
            ("name", "Kari"),
            ("email", "kari@fjordsko.example"),
            ("password", &"x".repeat(201)),
            ("plan", "plus"),
            ("terms", "yes"),
        ];
        refused.push(("sign-up, lengths".into(), guest.post("/signup", &form).await));
        let csrf = guest.get("/signup").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("country", "NO"),
            ("organisation_number", "923 609 016"),
            ("company", "Fjord Sko AS"),
            ("name", "Kari"),
            ("email", "admin@webshop.se"),
            ("password", "ett långt lösenord"),
            ("plan", "plus"),
            ("terms", "yes"),
        ];
        refused.push(("sign-up, taken".into(), guest.post("/signup", &form).await));
        let csrf = guest.get("/signup").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("country", "DK"),
            ("organisation_number", "12x45678"),
            ("email", "anna webshop.se"),
        ];
        refused.push(("sign-up, letters".into(), guest.post("/signup", &form).await));

        // Users: a wrong address, a short password, a taken address, a role that is none; the
        // admin's own role and removing themselves.
        for (email, password, role) in [
            ("bo@", "ett långt lösenord", "editor"),
            ("bo@webshop.se", "kort", "editor"),
            ("admin@webshop.se", "ett långt lösenord", "viewer"),
            ("bo@webshop.se", "ett långt lösenord", "boss"),
        ] {
            let csrf = v.get("/portal/users").await.csrf();
            let form = [
                ("csrf", csrf.as_str()),
                ("email", email),
                ("name", "Bo"),
                ("role", role),
                ("password", password),
            ];
            refused.push((format!("add user {email} {role}"), v.post("/portal/users", &form).await));
        }
        let csrf = v.get("/portal/users").await.csrf();
        let own_role = v
            .post(
                &format!("/portal/users/{me}/role"),
                &[("csrf", csrf.as_str()), ("role", "viewer")],
            )
            .await;
        refused.push(("own role".into(), own_role));
        let remove_self = v
            .post(&format!("/portal/users/{me}/delete"), &[("csrf", csrf.as_str())])
            .await;
        refused.push(("remove self".into(), remove_self));

        // Passwords: the current one wrong, a new one too short, a reset link's too short.
        let csrf = v.get("/portal/account").await.csrf();
        for (current, new) in [
            ("fel lösenord", "ett nytt långt lösenord"),
            ("ett långt lösenord", "kort"),
        ] {
            let form = [
                ("csrf", csrf.as_str()),
                ("current_password", current),
                ("new_password", new),
            ];
            refused.push((
                format!("change password {new}"),
                v.post("/portal/account/password", &form).await,
            ));
        }
        let (_, token) =
            avisera_core::users::account::start_reset(app.app.store.as_ref(), "admin@webshop.se", app.app.clock.now())
                .await
                .unwrap()
                .expect("a reset for a known address");
        let reset = format!("/portal/password/reset/{token}");
        guest.get(&reset).await;
        refused.push((
            "reset password".into(),
            guest.post(&reset, &[("new_password", "kort")]).await,
        ));

        // Logos that are not one.
        for (name, bytes) in [
            ("logo.txt", b"just text".to_vec()),
            ("logo.svg", svg_with_script.as_bytes().to_vec()),
            ("logo.png", b"\x89PNG\r\n\x1a\n".to_vec()),
            ("empty.png", Vec::new()),
        ] {
            let csrf = v.get("/portal/brand").await.csrf();
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf)
                .part("logo", reqwest::multipart::Part::bytes(bytes).file_name(name));
            refused.push((
                format!("logo {name}"),
                v.post_multipart("/portal/brand/logos", form).await,
            ));
        }

        // The brand form: a colour that is none, a name too long, a sender name of two lines,
        // customer service's phone that is no number.
        let long_name = "x".repeat(101);
        for (what, field, value) in [
            ("colour", "colour", "blå"),
            ("brand name", "brand_name", long_name.as_str()),
            ("sender name", "email_from_name", "Webshop\tAB"),
            ("phone", "customer_service_phone", "12"),
            ("language", "default_language", "de"),
        ] {
            let csrf = v.get("/portal/brand").await.csrf();
            let mut form = vec![
                ("csrf", csrf.as_str()),
                ("brand_name", "Webshop AB"),
                ("email_from_name", "Webshop AB"),
                ("sms_sender_id", "Webshop"),
                ("colour", "#1f5f99"),
            ];
            form.retain(|(k, _)| *k != field);
            form.push((field, value));
            refused.push((format!("brand {what}"), v.post("/portal/brand", &form).await));
        }

        // The overview's month and numbers, the budget form, the log's and ratings' filters.
        for path in [
            "/portal?month=2999-01",
            "/portal?month=nov",
            "/portal?from=yesterday&until=2026-11-30",
            "/portal?from=2026-11-30&until=2026-11-01",
            "/portal?group=year",
            "/portal/log?from=yesterday",
            "/portal/log?status=lost",
            "/portal/log?channel=fax",
            "/portal/ratings?from=yesterday",
            "/portal/bill.csv?month=nov",
            "/portal/log.csv?month=nov",
            "/portal/stats.csv?from=yesterday",
            "/portal/track/NOPE-1",
            "/portal/rules/999999/delete",
        ] {
            refused.push((path.to_string(), v.get(path).await));
        }
        for (budget, alert, segments) in [
            ("tusen", "", "6"),
            ("", "anna@", "6"),
            ("", "", "många"),
            ("", "", "99"),
        ] {
            let csrf = v.get("/portal").await.csrf();
            let form = [
                ("csrf", csrf.as_str()),
                ("sms_budget", budget),
                ("alert_email", alert),
                ("max_sms_segments", segments),
            ];
            refused.push((
                format!("budget {budget}{alert}{segments}"),
                v.post("/portal/budget", &form).await,
            ));
        }

        // Cancelling a message that no longer waits.
        let csrf = v.get("/portal/log").await.csrf();
        let cancel = v
            .post(
                &format!("/portal/log/{sent}/cancel"),
                &[("csrf", csrf.as_str()), ("back", "/portal/log")],
            )
            .await;
        refused.push(("cancel a sent message".into(), cancel));

        // Sending by hand to an address that is none.
        for (channel, to) in [
            ("sms", "12"),
            ("email", "anna@"),
            ("sms", "+46 8 123 456 78"),
            ("email", ""),
        ] {
            let form = v.get("/portal/track/LANG-1").await;
            let (csrf, send_key) = (form.csrf(), hidden(&form.body, "send_key"));
            let form = [
                ("csrf", csrf.as_str()),
                ("send_key", send_key.as_str()),
                ("channel", channel),
                ("to", to),
                ("subject", if to.is_empty() { "" } else { "Hej" }),
                ("text", "Hej"),
            ];
            refused.push((
                format!("send by hand {channel} {to}"),
                v.post("/portal/track/LANG-1/send", &form).await,
            ));
        }

        for (what, page) in &refused {
            if !page.body.contains(&format!("lang=\"{lang}\"")) {
                english.push(format!(
                    "{lang} {what}: not a page in {lang}: {} {}",
                    page.status, page.body
                ));
            }
            for found in english_on(&page.body, lang) {
                english.push(format!("{lang} {what}: {found:?}"));
            }
            said.insert((lang, what.clone()), visible(&page.body));
        }
    }
    assert!(
        english.is_empty(),
        "English on refused forms in another language:\n{}",
        english.join("\n")
    );
    // And each says what to fix, with what was typed, as the language says it.
    for (lang, what, text) in [
        ("sv", "sign-up", "lösenordet har 4 tecken; använd minst 10"),
        (
            "sv",
            "sign-up",
            "556036-0794 är inte ett svenskt organisationsnummer: kontrollsiffran stämmer inte",
        ),
        (
            "sv",
            "sign-up",
            "ogiltig e-postadress ”anna@”: domänen efter @ ska se ut som example.com",
        ),
        ("sv", "sign-up", "okänd plan ”gold”"),
        ("fi", "sign-up", "hyväksy käyttöehdot luodaksesi tilin"),
        (
            "sv",
            "sign-up, lengths",
            "ett norskt organisationsnummer har 9 siffror, inte 5: t.ex. 923 609 016 (9 siffror)",
        ),
        ("fi", "sign-up, lengths", "yrityksen nimi on pidempi kuin 100 merkkiä"),
        // Sign-up answers the same whether or not the address has an account (no enumeration).
        ("nb", "sign-up, taken", "Vi har sendt en lenke til admin@webshop.se"),
        (
            "da",
            "sign-up, letters",
            "et organisationsnummer har kun cifre; »x« er ikke et ciffer (f.eks. 24256790 (8 cifre))",
        ),
        ("sv", "add user bo@webshop.se boss", "okänd roll ”boss”"),
        (
            "da",
            "add user admin@webshop.se viewer",
            "admin@webshop.se kan ikke tilføjes som ny bruger",
        ),
        (
            "sv",
            "own role",
            "du kan inte ändra din egen roll; be en annan administratör",
        ),
        ("fi", "remove self", "et voi poistaa itseäsi"),
        (
            "sv",
            "change password ett nytt långt lösenord",
            "det är inte ditt nuvarande lösenord",
        ),
        ("nb", "reset password", "passordet har 4 tegn; bruk minst 10"),
        ("sv", "logo logo.svg", "SVG-filen använder elementet <script>"),
        ("fi", "logo logo.txt", "tiedosto ei ole PNG-, JPEG- tai SVG-kuva"),
        ("sv", "/portal?month=2999-01", "2999-01 har inte börjat än"),
        (
            "da",
            "/portal/bill.csv?month=nov",
            "»nov« er ikke en måned; skriv den som 2026-11",
        ),
        (
            "sv",
            "/portal/log?status=lost",
            "okänd status ”lost”; välj en status i listan",
        ),
        ("fi", "budget 99", "(se on 99)"),
        ("sv", "budget tusen6", "”tusen” är inget belopp i kronor"),
        ("sv", "send by hand sms 12", "ogiltigt telefonnummer ”12”"),
        (
            "sv",
            "cancel a sent message",
            "väntar inte längre (den är skickad); bara ett väntande meddelande kan avbrytas",
        ),
        (
            "sv",
            "brand colour",
            "färgen ”blå” ska vara # och sex hexadecimala siffror, som #1f5f99",
        ),
        ("nb", "brand brand name", "merkenavnet er 101 tegn langt"),
        (
            "fi",
            "brand sender name",
            "sähköpostin lähettäjän nimi ei saa sisältää ohjausmerkkejä",
        ),
        (
            "da",
            "send by hand sms +46 8 123 456 78",
            "+46812345678 er en fastnettelefon, ikke en mobil",
        ),
    ] {
        let page = &said[&(lang, what.to_string())];
        assert!(page.contains(text), "{lang} {what} does not say {text:?}: {page}");
    }
}

/// Öre from an amount as the overview or a Nordic spreadsheet writes it: `1 250,75 kr`,
/// `1.250,75 SEK`, `1250,75`.
pub(crate) fn ore(written: &str) -> i64 {
    let figure: String = written
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',' || *c == '-')
        .collect();
    let (whole, cents) = figure.split_once(',').expect("a decimal comma");
    whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

/// The cells of a semicolon-separated line (quoted cells may hold semicolons).
pub(crate) fn semicolon_cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' => quoted = !quoted,
            ';' if !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// A Swedish, Norwegian, Danish or Finnish Excel opens a comma-separated file with decimal
/// commas wrong (every line in one cell, or 0.75 read as a date): the overview offers the bill
/// and the log for Excel too, semicolon-separated with decimal commas and a BOM, and they say
/// the same as the overview, to the öre.
#[tokio::test]
async fn the_bill_and_log_for_a_nordic_excel_match_the_overview_to_the_ore() {
    let (app, _, _) = seeded().await;
    let mut v: Visitor = signed_in(&app, Role::Admin).await;
    for lang in ["sv", "da"] {
        v.get(&format!("/portal/lang?to={lang}&back=/portal")).await;
        let overview = v.get("/portal").await;
        assert!(
            overview.body.contains("id=\"download-bill-excel\""),
            "{}",
            overview.body
        );
        let table = &overview.body[overview.body.find("id=\"bill\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let shown: Vec<i64> = table
            .split("<td class=\"amount\">")
            .skip(1)
            .map(|cell| ore(&cell[..cell.find("</td>").unwrap()]))
            .collect();
        let total = table.split("id=\"bill-total\">").nth(1).unwrap();
        let total = ore(&total[..total.find('<').unwrap()]);
        assert!(shown.len() >= 2, "a fee and an SMS line: {table}");

        let resp = v
            .http
            .get(format!("{}/portal/bill.csv?format=excel", app.base))
            .header("cookie", v.cookies())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.ends_with("-excel.csv\""), "{disposition}");
        let bytes = resp.bytes().await.unwrap();
        assert!(bytes.starts_with(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8");
        let bill = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = bill.lines().collect();
        assert_eq!(lines[0], "line;description;quantity;unit_price_sek;amount_sek");
        for (n, amount) in shown.iter().enumerate() {
            let cells = semicolon_cells(lines[n + 1]);
            assert_eq!(cells.len(), 5, "{}", lines[n + 1]);
            assert!(cells[4].contains(',') && !cells[4].contains('.'), "{}", lines[n + 1]);
            assert_eq!(ore(&cells[4]), *amount, "line {n} of {bill}");
        }
        let total_line = lines.iter().find(|l| l.starts_with("total;")).unwrap();
        assert_eq!(ore(&semicolon_cells(total_line)[4]), total, "{bill}");
        let sms: i64 = lines
            .iter()
            .filter(|l| l.starts_with("sms;"))
            .map(|l| ore(&semicolon_cells(l)[4]))
            .sum();
        assert!(sms > 0, "{bill}");

        let log = v
            .http
            .get(format!("{}/portal/log.csv?format=excel", app.base))
            .header("cookie", v.cookies())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(log.starts_with(b"\xef\xbb\xbf"));
        let log = String::from_utf8(log[3..].to_vec()).unwrap();
        let mut rows = log.lines().map(semicolon_cells);
        let header = rows.next().unwrap();
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (cost, sent_at) = (column("cost_sek"), column("sent_at"));
        let rows: Vec<Vec<String>> = rows.collect();
        let costs: i64 = rows.iter().filter(|r| !r[cost].is_empty()).map(|r| ore(&r[cost])).sum();
        assert_eq!(costs, sms, "the log's costs add up to the bill's SMS lines: {log}");
        let stats = v
            .http
            .get(format!("{}/portal/stats.csv?format=excel&group=channel", app.base))
            .header("cookie", v.cookies())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(stats.starts_with(b"\xef\xbb\xbf"));
        let stats = String::from_utf8(stats[3..].to_vec()).unwrap();
        assert!(stats.starts_with("channel;sent;delivered;"), "{stats}");
        assert!(
            stats.lines().skip(1).all(|l| !l.contains('.')),
            "shares with a decimal comma: {stats}"
        );
        let sent = rows.iter().find(|r| !r[sent_at].is_empty()).expect("a sent message");
        let when = &sent[sent_at];
        assert!(
            when.len() == 19 && when.as_bytes()[10] == b' ' && !when.ends_with('Z'),
            "a local time a spreadsheet reads as a date: {when}"
        );
    }
}

/// A page nobody serves, asked for by a person, is a page in their language with the way back;
/// the API's paths keep answering programs in JSON; and under a receiver's own link it is a page
/// in the receiver's language and the sender's brand.
#[tokio::test]
async fn an_unknown_page_is_said_in_the_reader_s_language_and_the_api_keeps_json() {
    let (app, _, _) = seeded().await;
    let mut v: Visitor = signed_in(&app, Role::Admin).await;
    for lang in ["sv", "nb", "da", "fi", "en"] {
        v.get(&format!("/portal/lang?to={lang}&back=/portal")).await;
        for path in ["/portal/nope", "/portal/rules/7/nope"] {
            let page = v.get(path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(
                page.body.contains(&format!("lang=\"{lang}\"")),
                "{path} in {lang}: {}",
                page.body
            );
            assert!(page.body.contains("<a href=\"/portal\">"), "a way back: {}", page.body);
            if lang != "en" {
                assert_eq!(english_on(&page.body, lang), Vec::<String>::new(), "{path} in {lang}");
            }
        }
    }
    // Without a language chosen, the browser's; a person's browser anywhere gets a page too.
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/portal/nope", app.base))
        .header("accept-language", "fi-FI,fi;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("Ei löytynyt"));
    let page = http
        .get(format!("{}/nope", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .header("accept-language", "da")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("Ikke fundet"));
    // Programs: JSON, as before.
    let (status, body) = app.call("GET", "/v1/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    let (status, body) = app.call("GET", "/nope", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // A receiver's link with something after it: their language (Swedish, then Finnish once
    // they choose it), the sender's brand, and the way to their settings.
    let receiver = app
        .app
        .store
        .receiver_of(avisera_domain::TenantId(1), "+46701234567")
        .await
        .unwrap()
        .expect("the receiver of LANG-1");
    let token = receiver.token.to_string();
    for (path, lang, said) in [
        (format!("/u/{token}/extra"), "sv", "Den här sidan finns inte."),
        (format!("/u/{token}/extra/more"), "sv", "Den här sidan finns inte."),
        (format!("/p/{token}/extra"), "sv", "Den här sidan finns inte."),
    ] {
        let resp = http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let body = resp.text().await.unwrap().replace("&#x2f;", "/");
        assert!(
            body.contains(&format!("lang=\"{lang}\"")) && body.contains(said),
            "{path}: {body}"
        );
        assert!(
            body.contains(&format!("href=\"/p/{token}\"")),
            "the way to the settings: {body}"
        );
    }
    let chosen = http
        .post(format!("{}/p/{token}", app.base))
        .form(&[("reach", "both"), ("language", "fi")])
        .send()
        .await
        .unwrap();
    assert_eq!(chosen.status(), StatusCode::OK);
    let body = http
        .get(format!("{}/u/{token}/extra", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("lang=\"fi\"") && body.contains("Tätä sivua ei ole."),
        "{body}"
    );
    // A token nobody has says nothing about anyone.
    let unknown = http
        .get(format!("{}/u/abcdefghijklmnopqrs/extra", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
