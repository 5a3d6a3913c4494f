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
fn visible(html: &str) -> String {
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

/// Whole words of `text` (letters, digits and '-').
fn words(text: &str) -> BTreeSet<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
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
        for w in words(row[column(lang)]) {
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

fn english_on(page: &str, lang: &str) -> Vec<String> {
    let (phrases, single) = english_pieces(lang);
    let text = visible(page);
    let on_page = words(&text);
    let mut found: Vec<String> = phrases.into_iter().filter(|p| text.contains(p.as_str())).collect();
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
async fn seeded() -> (crate::helpers::TestApp, i64, i64) {
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
