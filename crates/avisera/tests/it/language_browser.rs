//! The portal in each of its five languages in real headless Chromium: a user switches the
//! language in the header and the main pages speak it, with no English left, and write numbers,
//! amounts, dates and the send-by-hand page's live price the language's way; and the bill and
//! log downloads of the overview, fetched by the page with the user's session, hold what the
//! overview shows.

use crate::browser::{browser, click, fill, screenshot, start_driver};
use crate::languages::{english_on, ore, seeded, semicolon_cells, visible};
use avisera_domain::user::Role;
use fantoccini::{Client, Locator};
use std::time::{Duration, Instant};

async fn sign_in(c: &Client, base: &str, email: &str, password: &str) {
    c.goto(&format!("{base}/portal/login")).await.unwrap();
    fill(c, "#email", email).await;
    fill(c, "#password", password).await;
    click(c, "button[type=submit]").await;
    wait_for(c, "the overview", "return location.pathname === '/portal';").await;
}

/// Waits until `script` returns true.
async fn wait_for(c: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if c.execute(script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what} on {}",
            c.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page as the browser has it now.
async fn html(c: &Client) -> String {
    c.execute("return document.documentElement.outerHTML;", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// Waits until `css` shows `text` (a non-breaking space read as a space).
async fn wait_shown(c: &Client, css: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = match c.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default().replace('\u{a0}', " "),
            Err(_) => String::new(),
        };
        if got.contains(text) {
            return;
        }
        assert!(Instant::now() < deadline, "{css} shows {got:?}, not {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A digit as 9: `2026-11-25` is `9999-99-99`.
fn shape(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect()
}

/// Whether `text` has a day and a time written as `lang` writes them.
fn has_date_time(text: &str, lang: &str) -> bool {
    let words: Vec<String> = text.split_whitespace().map(shape).collect();
    words.windows(3).any(|w| {
        let (day, second, third) = (w[0].as_str(), w[1].as_str(), w[2].as_str());
        match lang {
            "sv" | "en" => day == "9999-99-99" && second == "99:99",
            "nb" => day == "99.99.9999" && second == "99:99",
            "da" => day == "99.99.9999" && second == "99.99",
            _ => {
                ["9.9.9999", "99.9.9999", "9.99.9999", "99.99.9999"].contains(&day)
                    && second == "klo"
                    && ["9.99", "99.99"].contains(&third)
            }
        }
    })
}

#[test]
fn dates_are_recognised_only_in_their_language_s_form() {
    assert!(has_date_time("sent 2026-11-25 14:05 ok", "sv"));
    assert!(!has_date_time("sent 2026-11-25 14:05 ok", "da"));
    assert!(has_date_time("x 25.11.2026 14.05 y", "da"));
    assert!(!has_date_time("x 25.11.2026 14.05 y", "nb"));
    assert!(has_date_time("x 5.11.2026 klo 9.05 y", "fi"));
}

#[tokio::test]
async fn a_user_switches_the_portal_to_each_language_and_every_main_page_speaks_it() {
    let driver = start_driver().await;
    let (app, rule, _) = seeded().await;
    let password = crate::portal::add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    let pages = [
        "/portal".to_string(),
        "/portal/rules".into(),
        format!("/portal/rules/{rule}"),
        "/portal/templates".into(),
        "/portal/library".into(),
        "/portal/log".into(),
        "/portal/track/LANG-1".into(),
        "/portal/users".into(),
        "/portal/brand".into(),
        "/portal/plans".into(),
        "/portal/account".into(),
    ];
    // What each language writes: the bill's SMS price, Premium's monthly fee, the live price
    // of a two-part SMS.
    let formats = [
        ("sv", "0,75 kr", "1 950,00 kr", "1,50 kr"),
        ("nb", "0,75 SEK", "1 950,00 SEK", "1,50 SEK"),
        ("da", "0,75 SEK", "1.950,00 SEK", "1,50 SEK"),
        ("fi", "0,75 SEK", "1 950,00 SEK", "1,50 SEK"),
        ("en", "0.75 SEK", "1,950.00 SEK", "1.50 SEK"),
    ];
    let mut english = Vec::new();
    async {
        sign_in(&c, &base, "anna@webshop.se", &password).await;
        for (lang, sms_price, premium_fee, two_parts) in formats {
            // The switch in the header, as a person uses it.
            c.goto(&format!("{base}/portal")).await.unwrap();
            click(&c, &format!(".langs a[hreflang='{lang}']")).await;
            wait_for(
                &c,
                &format!("the portal in {lang}"),
                &format!("return document.documentElement.lang === '{lang}';"),
            )
            .await;
            for path in &pages {
                c.goto(&format!("{base}{path}")).await.unwrap();
                let page = html(&c).await;
                assert!(page.contains(&format!("lang=\"{lang}\"")), "{path} is not in {lang}");
                if lang != "en" {
                    for found in english_on(&page, lang) {
                        english.push(format!("{lang} {path}: {found:?}"));
                    }
                }
            }
            c.goto(&format!("{base}/portal")).await.unwrap();
            let overview = visible(&html(&c).await);
            assert!(overview.contains(sms_price), "{lang}: the bill's SMS price {sms_price:?}: {overview}");
            screenshot(&c, &format!("language-{lang}-overview")).await;
            c.goto(&format!("{base}/portal/plans")).await.unwrap();
            let plans = visible(&html(&c).await);
            assert!(plans.contains(premium_fee), "{lang}: Premium's fee {premium_fee:?}: {plans}");
            c.goto(&format!("{base}/portal/log")).await.unwrap();
            let log = visible(&html(&c).await);
            assert!(has_date_time(&log, lang), "{lang}: the log's times as {lang} writes them: {log}");

            // The send-by-hand page counts the price live, written as the server writes it.
            c.goto(&format!("{base}/portal/track/LANG-1")).await.unwrap();
            c.execute(
                "const t = document.getElementById('text'); t.value = 'x'.repeat(161); t.dispatchEvent(new Event('input'));",
                vec![],
            )
            .await
            .unwrap();
            wait_shown(&c, "#count-segments", "2").await;
            wait_shown(&c, "#count-price", two_parts).await;
            c.execute("document.getElementById('sms-counter').scrollIntoView({block: 'center'});", vec![])
                .await
                .unwrap();
            screenshot(&c, &format!("language-{lang}-send-by-hand")).await;
        }
    }
    .await;
    c.close().await.unwrap();
    assert!(english.is_empty(), "English in the browser:\n{}", english.join("\n"));
}

/// Fetches `href` of the link `css` inside the page, with the page's own session, as bytes.
async fn download(c: &Client, css: &str) -> (String, Vec<u8>) {
    let got = c
        .execute(
            "const a = document.querySelector(arguments[0]);
             return fetch(a.href).then(r => r.arrayBuffer().then(b =>
               [r.headers.get('content-disposition'), Array.from(new Uint8Array(b))]));",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("{css} could not be fetched: {e}"));
    let disposition = got[0].as_str().unwrap_or_default().to_string();
    let bytes = got[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| u8::try_from(b.as_u64().unwrap()).unwrap())
        .collect();
    (disposition, bytes)
}

#[tokio::test]
async fn the_overview_s_bill_and_log_downloads_hold_what_the_overview_shows() {
    let driver = start_driver().await;
    let (app, _, _) = seeded().await;
    let password = crate::portal::add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        sign_in(&c, &base, "anna@webshop.se", &password).await;
        c.goto(&format!("{base}/portal/lang?to=sv&back=/portal")).await.unwrap();
        wait_for(
            &c,
            "the overview in Swedish",
            "return document.documentElement.lang === 'sv';",
        )
        .await;
        let total = c.find(Locator::Css("#bill-total")).await.unwrap().text().await.unwrap();
        let total = ore(&total);
        let sms_lines: i64 = c
            .execute(
                "return Array.from(document.querySelectorAll('#bill tbody tr'))
                   .filter(r => r.cells[0].textContent.startsWith('SMS'))
                   .map(r => r.querySelector('.amount').textContent);",
                vec![],
            )
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| ore(a.as_str().unwrap()))
            .sum();
        assert!(sms_lines > 0, "an SMS line on the bill");

        // The plain files: comma-separated, decimal points, as programs read them.
        let (name, bill) = download(&c, "#download-bill").await;
        assert!(name.contains("avisera-bill-") && name.ends_with(".csv\""), "{name}");
        let bill = String::from_utf8(bill).unwrap();
        assert!(
            bill.starts_with("line,description,quantity,unit_price_sek,amount_sek\n"),
            "{bill}"
        );
        let plain_total = bill.lines().find(|l| l.starts_with("total,")).unwrap();
        let plain_total = plain_total.rsplit(',').next().unwrap().replace('.', "");
        assert_eq!(plain_total.parse::<i64>().unwrap(), total, "{bill}");
        let (name, log) = download(&c, "#download-log").await;
        assert!(name.contains("avisera-log-"), "{name}");
        let log = String::from_utf8(log).unwrap();
        assert!(log.contains("LANG-1"), "{log}");

        // The files for a Swedish Excel: a BOM, semicolons, decimal commas.
        let (name, bill) = download(&c, "#download-bill-excel").await;
        assert!(name.ends_with("-excel.csv\""), "{name}");
        assert!(bill.starts_with(b"\xef\xbb\xbf"), "a BOM");
        let bill = String::from_utf8(bill[3..].to_vec()).unwrap();
        let total_line = bill.lines().find(|l| l.starts_with("total;")).unwrap();
        assert_eq!(ore(&semicolon_cells(total_line)[4]), total, "{bill}");
        let (_, log) = download(&c, "#download-log-excel").await;
        let log = String::from_utf8(log[3..].to_vec()).unwrap();
        let mut rows = log.lines().map(semicolon_cells);
        let header = rows.next().unwrap();
        let cost = header.iter().position(|h| h == "cost_sek").unwrap();
        let costs: i64 = rows.filter(|r| !r[cost].is_empty()).map(|r| ore(&r[cost])).sum();
        assert_eq!(
            costs, sms_lines,
            "the log's costs are the bill's SMS lines, to the öre: {log}"
        );
        screenshot(&c, "downloads-overview-sv").await;
    }
    .await;
    c.close().await.unwrap();
}
