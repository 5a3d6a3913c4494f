//! The portal on a phone and the overview's downloads (issue 16), in real headless Chromium
//! where a browser is what matters: every main page fits 390 px without sideways scrolling
//! (tables become cards), with a screenshot of each at phone and desktop width in
//! `target/portal-screenshots/`; the bill and log CSVs agree with the overview to the öre and
//! make formula-looking cells inert; the live SMS counter counts as the Rust code does; the API
//! keys page makes a key that works and revokes it.

use crate::browser::{browser, click, fill, screenshot, start_driver, wait_text};
use crate::helpers::*;
use crate::portal::{add_user, signed_in};
use avisera_domain::user::Role;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

/// A tenant with something on every page: rules and templates, shipments with notifications
/// (one with a tracking number that looks like a formula), a few users and an opt-out.
async fn seeded(app: &TestApp) -> (i64, i64) {
    let rule = sms_rule(app, "delivered", json!({})).await;
    sms_rule(app, "first_transport_event", json!({})).await;
    let mut events = Vec::new();
    for (n, tracking) in ["00370712345678901234", "-1-1-CSV", "JJFI65432100000000012", "SE-LONG-2"]
        .into_iter()
        .enumerate()
    {
        let mut e = event(tracking, "DELIVERED", &format!("+4670123456{n}"));
        e["shipment"]["receiver"]["name"] = json!(format!("Anna Långnamnsdotter-Kristiansen {n}"));
        e["shipment"]["receiver"]["email"] = json!(format!("anna.langnamnsdotter.kristiansen.{n}@exempel-webbutik.se"));
        e["shipment"]["order_reference"] = json!(format!("ORDER-2026-11-{n:04}"));
        events.push(e);
    }
    let (status, body) = app.call("POST", "/v1/events", Some(json!(events))).await;
    assert!(status.is_success(), "{body}");
    app.settled_notifications().await;
    for (email, role) in [
        ("bo.berglund-haraldsson@exempel-webbutik.se", Role::Editor),
        ("cecilia@exempel-webbutik.se", Role::Viewer),
    ] {
        add_user(app, 1, email, role).await;
    }
    let (_, templates) = app.call("GET", "/v1/templates", None).await;
    let template = templates["templates"][0]["id"].as_i64().expect("a template");
    (rule, template)
}

/// Scrolls the first element `css` matches to the top of the window (for a screenshot of it).
async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
        vec![json!(css)],
    )
    .await
    .unwrap();
}

async fn sign_in(c: &Client, base: &str, email: &str, password: &str) {
    c.goto(&format!("{base}/portal/login")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", password).await;
    click(c, "button[type=submit]").await;
    wait_text(c, "h1", "Overview").await;
}

/// How far the page reaches sideways, and what sticks out past `width` (for the message). A
/// part of the page that scrolls sideways by itself (a wide table in a scroll box) counts as
/// too wide: the reader still has to scroll sideways to see it.
async fn overflow(c: &Client, width: u32) -> (u64, String) {
    let got = c
        .execute(
            "const w = arguments[0];
             const out = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 0.5
                 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0))
               .slice(0, 5)
               .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right));
             const scrollers = [...document.querySelectorAll('body *')]
               .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
               .map(e => 'scrolls inside: ' + e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + e.scrollWidth + ' px');
             const width = scrollers.length ? Math.max(document.documentElement.scrollWidth, w + 1) : document.documentElement.scrollWidth;
             return [width, out.concat(scrollers).join('; ')];",
            vec![json!(width)],
        )
        .await
        .unwrap();
    (got[0].as_u64().unwrap(), got[1].as_str().unwrap().to_string())
}

#[tokio::test]
async fn every_portal_page_fits_a_phone_without_sideways_scrolling() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (rule, template) = seeded(&app).await;
    let password = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    let pages: Vec<(&str, String, &str)> = vec![
        ("overview", "/portal".into(), "#bill"),
        ("track-results", "/portal/track?q=Anna".into(), "#results"),
        (
            "shipment",
            "/portal/track/00370712345678901234".into(),
            "#notifications",
        ),
        ("log", "/portal/log".into(), "#log"),
        ("suppressions", "/portal/suppressions".into(), "h1"),
        ("rules", "/portal/rules".into(), "#rules"),
        ("rule", format!("/portal/rules/{rule}"), "h1"),
        ("templates", "/portal/templates".into(), "#templates"),
        ("template", format!("/portal/templates/{template}"), "h1"),
        ("new-email-template", "/portal/templates/new?channel=email".into(), "h1"),
        ("new-rule", "/portal/rules/new".into(), "h1"),
        ("library", "/portal/library".into(), "h1"),
        ("brand", "/portal/brand".into(), "h1"),
        ("users", "/portal/users".into(), "#users"),
        ("api-keys", "/portal/api-keys".into(), "#api-keys"),
        ("plans", "/portal/plans".into(), "#plans"),
        ("account", "/portal/account".into(), "h1"),
    ];
    let mut too_wide = Vec::new();
    async {
        // The pages before signing in.
        for (name, path) in [("sign-in", "/portal/login"), ("sign-up", "/signup")] {
            c.set_window_size(390, 844).await.unwrap();
            c.goto(&format!("{base}{path}")).await.unwrap();
            c.find(Locator::Css("h1")).await.unwrap();
            let (width, sticking_out) = overflow(&c, 390).await;
            if width > 390 {
                too_wide.push(format!("{name} ({path}): {width} px ({sticking_out})"));
            }
            screenshot(&c, &format!("{name}-phone")).await;
            c.set_window_size(1280, 900).await.unwrap();
            screenshot(&c, &format!("{name}-desktop")).await;
        }
        sign_in(&c, &base, "anna@webshop.se", &password).await;
        for (name, path, ready) in &pages {
            c.set_window_size(390, 844).await.unwrap();
            c.goto(&format!("{base}{path}")).await.unwrap();
            c.find(Locator::Css(ready))
                .await
                .unwrap_or_else(|_| panic!("{name} ({path}) shows no {ready}"));
            let inner = c.execute("return window.innerWidth;", vec![]).await.unwrap();
            assert!(inner.as_u64().unwrap() <= 390, "the window is a phone's: {inner}");
            let (width, sticking_out) = overflow(&c, 390).await;
            if width > 390 {
                too_wide.push(format!("{name} ({path}): {width} px ({sticking_out})"));
            }
            scroll_to(&c, ready).await;
            screenshot(&c, &format!("{name}-phone")).await;
            c.set_window_size(1280, 900).await.unwrap();
            scroll_to(&c, "body").await;
            screenshot(&c, &format!("{name}-desktop")).await;
        }
        // The overview's chart: an axis with round steps, and the day's total over its bar.
        c.set_window_size(1280, 900).await.unwrap();
        c.goto(&format!("{base}/portal")).await.unwrap();
        scroll_to(&c, "#per-day").await;
        screenshot(&c, "overview-chart-desktop").await;
        let today = c
            .find(Locator::Css("#chart g.bar:last-of-type .value"))
            .await
            .expect("a value over today's bar")
            .text()
            .await
            .unwrap();
        assert_eq!(today, "4", "four SMS today");
        let ticks: Vec<String> = {
            let mut out = Vec::new();
            for t in c.find_all(Locator::Css("#chart .y-tick")).await.unwrap() {
                out.push(t.text().await.unwrap());
            }
            out
        };
        assert_eq!(ticks, ["0", "1", "2", "3", "4", "5"]);
        c.set_window_size(390, 844).await.unwrap();
        scroll_to(&c, "#per-day").await;
        screenshot(&c, "overview-chart-phone").await;

        // On a phone a table's cells carry their column's heading.
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{base}/portal/log")).await.unwrap();
        let label = c
            .find(Locator::Css("#log tbody td:nth-child(3)"))
            .await
            .unwrap()
            .attr("data-label")
            .await
            .unwrap();
        assert_eq!(label.as_deref(), Some("Shipment"));
        let shown = c
            .execute(
                "const td = document.querySelector('#log tbody td:nth-child(3)');
                 return [getComputedStyle(td).display, getComputedStyle(td, '::before').content];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            shown,
            json!(["block", "\"Shipment\""]),
            "a card, each value under its heading"
        );
    }
    .await;
    let _ = c.close().await;
    assert!(
        too_wide.is_empty(),
        "pages wider than a 390 px phone:\n{}",
        too_wide.join("\n")
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/portal-screenshots");
    for (name, _, _) in &pages {
        for width in ["phone", "desktop"] {
            assert!(dir.join(format!("{name}-{width}.png")).exists(), "{name}-{width}.png");
        }
    }
}

/// The cells of a CSV line, quoted ones unquoted.
fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cell)),
            other => cell.push(other),
        }
    }
    out.push(cell);
    out
}

/// Text as the page shows it, HTML escapes undone.
fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn the_bill_and_the_log_download_as_csv_matching_the_overview_to_the_ore() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    seeded(&app).await;
    let mut v = signed_in(&app, Role::Viewer).await;
    let overview = v.get("/portal").await;
    assert_eq!(overview.status, StatusCode::OK);
    let month = avisera_domain::billing::Month::of(app.app.clock.now()).label();
    assert!(
        overview
            .body
            .contains(&format!("href=\"/portal/bill.csv?month={month}\"")),
        "a download link for the month shown"
    );
    // The overview's bill: each line's description and amount, and the total.
    let table = &overview.body[overview.body.find("id=\"bill\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let shown: Vec<(String, String)> = table
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            let description = unescaped(&row[..row.find("</td>").unwrap()]);
            let amount = row.split("<td class=\"amount\">").nth(1).unwrap();
            (description, amount[..amount.find("</td>").unwrap()].to_string())
        })
        .collect();
    let total = table.split("id=\"bill-total\">").nth(1).unwrap();
    let total = &total[..total.find('<').unwrap()];
    assert!(shown.len() >= 2, "a fee and SMS lines: {table}");

    let resp = v
        .http
        .get(format!("{}/portal/bill.csv?month={month}", app.base))
        .header("cookie", v.cookies())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert_eq!(
        resp.headers()["content-disposition"],
        format!("attachment; filename=\"avisera-bill-{month}.csv\"").as_str()
    );
    let bill = resp.text().await.unwrap();
    let lines: Vec<&str> = bill.lines().collect();
    assert_eq!(lines[0], "line,description,quantity,unit_price_sek,amount_sek");
    // The overview says each line in the reader's words and amounts with the currency
    // ("580.65 SEK"); the file keeps the API's words and bare amounts, to the öre the same.
    let bare = |shown: &str| shown.trim_end_matches(" SEK").trim_end_matches("\u{a0}SEK").to_string();
    let (_, api) = app.call("GET", &format!("/v1/bill?month={month}"), None).await;
    for (n, (_, amount)) in shown.iter().enumerate() {
        let c = cells(lines[n + 1]);
        assert_eq!(c[4], bare(amount), "line {n} of {bill}");
        assert_eq!(
            c[1].as_str(),
            api["lines"][n]["description"].as_str().unwrap(),
            "line {n} of {bill}"
        );
    }
    let total_line = lines.iter().find(|l| l.starts_with("total,")).unwrap();
    assert_eq!(cells(total_line)[4], bare(total), "{bill}");
    assert_eq!(api["total_sek"], bare(total), "the API's bill says the same");
    // Every billed SMS, its number masked and made text so a spreadsheet does not read +46… as
    // a formula; the tracking number that starts with a minus too.
    assert!(bill.contains(",'-1-1-CSV,'+46 70•••"), "{bill}");
    assert!(
        !bill.contains("+46701234561"),
        "the bill shows the number masked: {bill}"
    );
    assert!(!bill.contains(",+4670"), "no cell starts with + : {bill}");

    let log = v
        .http
        .get(format!("{}/portal/log.csv?month={month}", app.base))
        .header("cookie", v.cookies())
        .send()
        .await
        .unwrap();
    assert_eq!(
        log.headers()["content-disposition"],
        format!("attachment; filename=\"avisera-log-{month}.csv\"").as_str()
    );
    let log = log.text().await.unwrap();
    assert!(log.starts_with(
        "notification_id,created_at,tracking_number,trigger,channel,recipient,status,reason,sent_at,cost_sek,sent_by_hand_by\n"
    ));
    let (_, listed) = app.call("GET", "/v1/notifications?limit=100", None).await;
    let made = listed["notifications"].as_array().unwrap().len();
    assert!(made >= 4, "{listed}");
    assert_eq!(log.lines().count(), 1 + made, "one line per notification: {log}");
    assert!(log.contains(",'-1-1-CSV,delivered,sms,'+46701234561,sent,,"), "{log}");
    assert!(!log.contains(",-1-1-CSV"), "{log}");
    let log_cost: i64 = log
        .lines()
        .skip(1)
        .map(|l| cells(l)[9].replace('.', "").parse::<i64>().unwrap_or(0))
        .sum();
    let sms_lines: i64 = lines
        .iter()
        .skip(1)
        .take_while(|l| !l.starts_with("total,"))
        .filter(|l| l.starts_with("sms"))
        .map(|l| cells(l)[4].replace('.', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        log_cost, sms_lines,
        "the log's costs add up to the bill's SMS lines, in öre"
    );

    // A month that does not parse is refused; one not begun is said beside the month picker.
    assert_eq!(
        v.get("/portal/bill.csv?month=2026-13").await.status,
        StatusCode::BAD_REQUEST
    );
    let later = v.get("/portal?month=2999-01").await;
    assert!(
        later.body.contains("id=\"month-error\"") && later.body.contains("2999-01 has not begun yet"),
        "{}",
        later.body
    );
}

#[tokio::test]
async fn an_admin_sets_the_sms_budget_in_the_portal_and_a_wrong_amount_is_said_beside_it() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Admin).await;
    let csrf = v.get("/portal").await.csrf();
    let form = |budget: &'static str, csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("sms_budget".into(), budget.into()),
            ("when_budget_is_used_up".into(), "switch_to_email".into()),
            ("alert_email".into(), "ekonomi@webshop.se".into()),
            ("max_sms_segments".into(), "4".into()),
            ("transliterate_sms".into(), "on".into()),
        ]
    };
    let wrong = form("femhundra", &csrf);
    let req = v.http.post(format!("{}/portal/budget", app.base)).form(&wrong);
    let page = v.finish(req).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("id=\"sms_budget-error\"") && page.body.contains("write it like 500"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"femhundra\""), "what was typed is kept");
    assert!(page.body.contains("value=\"ekonomi@webshop.se\""), "the rest is kept");
    let tenant = app
        .app
        .store
        .tenant(avisera_domain::TenantId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.billing.sms_budget_ore, None, "nothing saved");

    let right = form("1 234,50", &csrf);
    let req = v.http.post(format!("{}/portal/budget", app.base)).form(&right);
    let page = v.finish(req).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let tenant = app
        .app
        .store
        .tenant(avisera_domain::TenantId(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.billing.sms_budget_ore, Some(avisera_domain::money::Ore(123_450)));
    assert_eq!(tenant.billing.max_sms_segments, 4);
    assert!(tenant.billing.transliterate_sms);
    let shown = v.get("/portal?budget=saved").await;
    assert!(shown.body.contains("value=\"1234.50\""), "{}", shown.body);

    // An editor sees no budget form and may not post it.
    let mut editor = signed_in(&app, Role::Editor).await;
    let page = editor.get("/portal").await;
    assert!(!page.body.contains("id=\"budget\""));
    let csrf = page.csrf();
    let req = editor
        .http
        .post(format!("{}/portal/budget", app.base))
        .form(&form("10", &csrf));
    assert_eq!(editor.finish(req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_live_sms_counter_counts_as_the_server_does_and_a_long_sms_is_confirmed_first() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("COUNT-1", "EN_ROUTE", "+46701234567")))
        .await;
    assert!(status.is_success(), "{body}");
    let password = add_user(&app, 1, "bo@webshop.se", Role::Editor).await;
    let price = app
        .app
        .config
        .prices
        .for_plan(avisera_domain::plan::Plan::Plus)
        .sms_segment_ore;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        sign_in(&c, &base, "bo@webshop.se", &password).await;
        c.goto(&format!("{base}/portal/track/COUNT-1")).await.unwrap();

        // 161 GSM-7 characters with Nordic letters: two parts.
        let long = format!("Hej Åsa! Ditt paket väntar på Ørsted. {}", "x".repeat(161 - 38));
        assert_eq!(long.chars().count(), 161);
        fill(&c, "#text", &long).await;
        wait_text(&c, "#count-segments", "2").await;
        assert_eq!(c.find(Locator::Css("#count-characters")).await.unwrap().text().await.unwrap(), "161");
        assert_eq!(c.find(Locator::Css("#count-encoding")).await.unwrap().text().await.unwrap(), "GSM-7");
        let two = avisera_domain::money::Ore(price.0 * 2).to_string();
        wait_text(&c, "#count-price", &two).await;

        // An emoji makes it UCS-2 (ChromeDriver types only the BMP: the value is set as a paste).
        c.execute(
            "const t = document.getElementById('text'); t.value = 'Hej Åsa! 📦 väntar'; t.dispatchEvent(new Event('input'));",
            vec![],
        )
        .await
        .unwrap();
        wait_text(&c, "#count-encoding", "UCS-2").await;
        assert_eq!(c.find(Locator::Css("#count-characters")).await.unwrap().text().await.unwrap(), "17");
        scroll_to(&c, "#send-form").await;
        screenshot(&c, "send-by-hand-counter").await;

        // The page's counter and the Rust one agree on Nordic texts at the segment edges.
        let texts = [
            String::new(),
            "Hej Åsa! Ditt paket från Ölandsbutiken väntar på ICA Nära.".into(),
            "Hei Øystein! Pakken din fra Ærø er levert. Pris 10€ {ref}".into(),
            "Hei Äijä! Pakettisi odottaa noutopisteessä – kiitos…".into(),
            "ð Þórunn, pakkinn þinn er kominn".into(),
            "å".repeat(160),
            "å".repeat(161),
            format!("{}€{}", "a".repeat(152), "a".repeat(153)),
            "ж".repeat(70),
            "ж".repeat(71),
            format!("{}😀{}", "ж".repeat(66), "ж".repeat(66)),
            "Rad ett\nrad två\r\n[x] ~ | ^ \\".into(),
        ];
        for text in &texts {
            let js = c
                .execute("return window.aviseraSmsCount(arguments[0]);", vec![json!(text)])
                .await
                .unwrap();
            let rust = avisera_domain::sms::count(text);
            assert_eq!(
                (
                    js["encoding"].as_str().unwrap(),
                    js["characters"].as_u64().unwrap() as usize,
                    js["units"].as_u64().unwrap() as usize,
                    js["segments"].as_u64().unwrap() as usize,
                ),
                (
                    rust.encoding.to_string().as_str(),
                    rust.characters,
                    rust.units,
                    rust.segments
                ),
                "{text:?}"
            );
        }

        // Four parts: asked first, with the price; the text stays as typed.
        let four = "Hej! ".repeat(100);
        fill(&c, "#text", &four).await;
        wait_text(&c, "#count-segments", "4").await;
        click(&c, "#send-button").await;
        let question = wait_text(&c, "#send-confirm", "4 parts").await;
        assert!(question.contains(&avisera_domain::money::Ore(price.0 * 4).to_string()), "{question}");
        let kept = c.find(Locator::Css("#text")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(kept.as_deref(), Some(four.as_str()));
        scroll_to(&c, "#send-confirm").await;
        screenshot(&c, "send-by-hand-confirm").await;
        click(&c, "#confirm-send").await;
        wait_text(&c, "#sent-notice", "on its way").await;
        // Who sent it, in the shipment's notifications and in the log.
        wait_text(&c, "#notifications .sent-by", "by bo@webshop.se").await;
        c.goto(&format!("{base}/portal/log")).await.unwrap();
        wait_text(&c, "#log .sent-by", "by bo@webshop.se").await;
        c.goto(&format!("{base}/portal/track/COUNT-1")).await.unwrap();

        // An email without a subject: said beside the subject, the text kept.
        c.find(Locator::Css("#channel option[value=email]")).await.unwrap().click().await.unwrap();
        fill(&c, "#text", "Hej, kvittot finns på Mina sidor.").await;
        click(&c, "#send-button").await;
        wait_text(&c, "#subject-error", "subject").await;
        let kept = c.find(Locator::Css("#text")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(kept.as_deref(), Some("Hej, kvittot finns på Mina sidor."));
        let channel = c.find(Locator::Css("#channel")).await.unwrap().prop("value").await.unwrap();
        assert_eq!(channel.as_deref(), Some("email"));
    }
    .await;
    let _ = c.close().await;
    let sent: Vec<String> = inbox(&app)
        .await
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(sent, vec!["Hej! ".repeat(100)], "only the confirmed SMS went");
}

#[tokio::test]
async fn an_admin_makes_an_api_key_that_works_and_revokes_it() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let password = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    let key = async {
        sign_in(&c, &base, "anna@webshop.se", &password).await;
        click(&c, "nav a[href='/portal/api-keys']").await;
        wait_text(&c, "h1", "API keys").await;
        // No label: said beside the field.
        click(&c, "#make-key").await;
        wait_text(&c, "#label-error", "Give the key a label").await;
        fill(&c, "#label", "Webbutiken").await;
        click(&c, "#make-key").await;
        wait_text(&c, "#new-key-card", "only time").await;
        let key = c
            .find(Locator::Css("#new-key"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .unwrap();
        assert!(key.starts_with("av_") && key.len() == 51, "{key}");
        let listed = wait_text(&c, "#api-keys", "Webbutiken").await;
        assert!(listed.contains(&key[..11]), "listed by how it begins: {listed}");
        assert!(!listed.contains(&key), "never the whole key: {listed}");
        screenshot(&c, "api-keys").await;
        key
    }
    .await;

    let (status, body) = app.call_as(&key, "GET", "/v1/bill", None).await;
    assert_eq!(status, StatusCode::OK, "the new key works: {body}");

    async {
        // Newest first: the key just made is the first row.
        c.goto(&format!("{base}/portal/api-keys")).await.unwrap();
        click(&c, "#revoke-1").await;
        let question = wait_text(&c, "#revoke-question", &key[..11]).await;
        assert!(question.contains("Webbutiken"), "{question}");
        click(&c, "#confirm-revoke").await;
        wait_text(&c, "h1", "API keys").await;
        let listed = c.find(Locator::Css("#api-keys")).await.unwrap().text().await.unwrap();
        assert!(!listed.contains("Webbutiken"), "{listed}");
    }
    .await;
    let _ = c.close().await;
    let (status, _) = app.call_as(&key, "GET", "/v1/bill", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a revoked key stops working at once");
    let (status, _) = app.call("GET", "/v1/bill", None).await;
    assert_eq!(status, StatusCode::OK, "the tenant's other key still works");

    // Only admins: an editor is refused the page.
    let mut editor = signed_in(&app, Role::Editor).await;
    assert_eq!(editor.get("/portal/api-keys").await.status, StatusCode::FORBIDDEN);
}
