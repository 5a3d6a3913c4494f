//! The portal over real HTTP: signing in, CSRF, roles, tenant isolation, logos, templates
//! and sending by hand. (The browser journeys are in `browser.rs`.)

use crate::helpers::*;
use avisera_domain::TenantId;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;

/// A browser stand-in: keeps cookies, does not follow redirects.
pub struct Visitor {
    pub http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.body[at + 19..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

impl Visitor {
    pub fn new(base: &str) -> Self {
        Visitor {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: HashMap::new(),
        }
    }

    /// The `Cookie` header this visitor sends.
    pub fn cookies(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn finish(&mut self, req: reqwest::RequestBuilder) -> Page {
        let resp = req.header("cookie", self.cookies()).send().await.expect("request");
        for c in resp.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Page {
            status: resp.status(),
            location: resp.headers().get("location").map(|l| l.to_str().unwrap().to_string()),
            body: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.finish(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(form);
        self.finish(req).await
    }

    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).multipart(form);
        self.finish(req).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let csrf = self.get("/portal/login").await.csrf();
        self.post(
            "/portal/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/portal"),
            ],
        )
        .await
    }
}

pub async fn add_user(app: &TestApp, tenant: i64, email: &str, role: Role) -> String {
    let password = "ett långt lösenord";
    avisera_core::users::add(
        &*app.app.store,
        app.app.clock.now(),
        TenantId(tenant),
        email,
        "Anna",
        role,
        password,
    )
    .await
    .unwrap();
    password.to_string()
}

/// A signed-in visitor of tenant 1 with `role`.
pub async fn signed_in(app: &TestApp, role: Role) -> Visitor {
    let email = format!("{role}@webshop.se");
    let password = add_user(app, 1, &email, role).await;
    let mut v = Visitor::new(&app.base);
    let page = v.sign_in(&email, &password).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    v
}

#[tokio::test]
async fn signing_in_says_nothing_about_which_part_was_wrong_and_slows_guessing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let password = add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let mut v = Visitor::new(&app.base);

    let page = v.get("/portal/templates").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/portal/login?next=%2Fportal%2Ftemplates")
    );

    let wrong_password = v.sign_in("anna@webshop.se", "fel lösenord!").await;
    let unknown_email = v.sign_in("nobody@webshop.se", "fel lösenord!").await;
    for page in [&wrong_password, &unknown_email] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("The email or the password is wrong."),
            "{}",
            page.body
        );
    }
    for _ in 0..4 {
        v.sign_in("anna@webshop.se", "fel lösenord!").await;
    }
    let locked = v.sign_in("anna@webshop.se", &password).await;
    assert!(
        locked
            .body
            .contains("Too many failed attempts. Try again in 15 minutes."),
        "even the right password waits: {}",
        locked.body
    );

    let other = add_user(&app, 1, "bo@webshop.se", Role::Viewer).await;
    let ok = v.sign_in("BO@webshop.se", &other).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location.as_deref(), Some("/portal"));
    let home = v.get("/portal").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Webshop AB (Plus)"), "{}", home.body);

    let csrf = home.csrf();
    assert_eq!(
        v.post("/portal/logout", &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(v.get("/portal").await.status, StatusCode::SEE_OTHER, "signed out");
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Admin).await;
    let csrf = v.get("/portal/brand").await.csrf();
    let brand = |token: &'static str| {
        vec![
            ("csrf", token),
            ("brand_name", "Hijacked"),
            ("email_from_name", "Hijacked"),
            ("sms_sender_id", "Hijacked"),
            ("default_language", "sv"),
        ]
    };
    for form in [brand(""), brand("0000")] {
        let page = v.post("/portal/brand", &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(
            page.body.contains("This form has expired or came from another site"),
            "{}",
            page.body
        );
    }
    // The right token from another site is refused too.
    let req = v
        .http
        .post(format!("{}/portal/brand", app.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("csrf", csrf.as_str()),
            ("brand_name", "Hijacked"),
            ("email_from_name", "x"),
            ("sms_sender_id", "x"),
            ("default_language", "sv"),
        ]);
    assert_eq!(v.finish(req).await.status, StatusCode::FORBIDDEN);
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["brand_name"], "Webshop AB");

    // With the token it works, and a bad sender id is refused naming the field.
    let bad = v
        .post(
            "/portal/brand",
            &[
                ("csrf", &csrf),
                ("brand_name", "Nya Butiken"),
                ("email_from_name", "Nya Butiken"),
                ("sms_sender_id", "Far too long id"),
                ("default_language", "sv"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("11"), "{}", bad.body);
    let good = v
        .post(
            "/portal/brand",
            &[
                ("csrf", &csrf),
                ("brand_name", "Nya Butiken"),
                ("email_from_name", "Nya Butiken"),
                ("sms_sender_id", "NyaButiken"),
                ("default_language", "nb"),
                ("reply_to", "svar@nya.se"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["brand_name"], "Nya Butiken");
    assert_eq!(tenant["brand"]["default_language"], "nb");
    assert_eq!(tenant["brand"]["reply_to"], "svar@nya.se");
}

#[tokio::test]
async fn another_tenants_ids_give_404_and_change_nothing() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let rule = sms_rule(&app, "delivered", json!({})).await;
    let (_, rule_body) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    let template = rule_body["sms_template_id"].as_i64().unwrap();
    let (s, _) = app.call("POST", "/v1/rules/1/disable", None).await;
    assert_eq!(s, StatusCode::OK);
    app.call("POST", "/v1/events", Some(event("A-1", "DELIVERED", "+46701234567")))
        .await;
    let mut a = signed_in(&app, Role::Admin).await;
    let csrf_a = a.get("/portal/brand").await.csrf();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf_a)
        .part("logo", reqwest::multipart::Part::bytes(png).file_name("logo.png"));
    assert_eq!(
        a.post_multipart("/portal/brand/logos", form).await.status,
        StatusCode::SEE_OTHER
    );

    crate::helpers::add_tenant(&app.app, "Other Shop").await;
    let password = add_user(&app, 2, "eve@other.se", Role::Admin).await;
    let mut b = Visitor::new(&app.base);
    b.sign_in("eve@other.se", &password).await;
    let csrf = b.get("/portal").await.csrf();
    for path in [
        format!("/portal/templates/{template}"),
        format!("/portal/rules/{rule}"),
        "/portal/track/A-1".to_string(),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "GET {path}");
    }
    for path in [
        format!("/portal/rules/{rule}/enable"),
        format!("/portal/templates/{template}"),
        "/portal/brand/logos/1/use".to_string(),
        "/portal/brand/logos/1/delete".to_string(),
        "/portal/users/1/delete".to_string(),
        "/portal/track/A-1/send".to_string(),
    ] {
        let page = b
            .post(
                &path,
                &[
                    ("csrf", &csrf),
                    ("name", "x"),
                    ("text_sv", "x"),
                    ("send_key", "0123456789abcdef0123"),
                    ("text", "hej"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "POST {path}: {}", page.body);
    }
    let search = b.get("/portal/track?q=A-1").await;
    assert!(search.body.contains("Nothing found."), "{}", search.body);
    let (_, still) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(still["enabled"], false, "tenant B could not enable A's rule");
    let (_, tenant_a) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant_a["brand"]["logo_id"], 1, "A's logo stays");
    assert_eq!(a.get("/portal/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn logos_are_checked_and_served_so_that_nothing_in_them_runs() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Admin).await;
    let upload = |bytes: Vec<u8>, name: &'static str, csrf: String| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .part("logo", reqwest::multipart::Part::bytes(bytes).file_name(name))
    };
    let csrf = v.get("/portal/brand").await.csrf();
    let evil = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let refused = v
        .post_multipart("/portal/brand/logos", upload(evil, "evil.svg", csrf.clone()))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("the SVG uses the element &lt;script&gt;"),
        "{}",
        refused.body
    );
    let huge = v
        .post_multipart(
            "/portal/brand/logos",
            upload(vec![0u8; 700 * 1024], "huge.png", csrf.clone()),
        )
        .await;
    assert!(huge.status.is_client_error(), "{}", huge.status);
    assert!(
        v.get("/portal").await.status == StatusCode::OK,
        "the server is fine after a huge upload"
    );

    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="purple"/></svg>"#;
    let ok = v
        .post_multipart("/portal/brand/logos", upload(svg.to_vec(), "logo.svg", csrf))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let served = reqwest::get(format!("{}/l/1/1", app.base)).await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/svg+xml");
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(served.bytes().await.unwrap().as_ref(), svg);
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["logo_id"], 1, "the first logo is used at once");

    // An API client that PUTs the brand without `logo_id` keeps the logo; a foreign id is refused.
    let mut brand = tenant["brand"].clone();
    brand.as_object_mut().unwrap().remove("logo_id");
    brand["brand_name"] = json!("Webshop Nord");
    let (status, _) = app.call("PUT", "/v1/tenant/brand", Some(brand.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let (_, after) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(
        (after["brand"]["brand_name"].clone(), after["brand"]["logo_id"].clone()),
        (json!("Webshop Nord"), json!(1))
    );
    brand["logo_id"] = json!(99);
    let (status, body) = app.call("PUT", "/v1/tenant/brand", Some(brand)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("there is no logo 99"),
        "{body}"
    );

    // The tracking page shows it.
    app.call("POST", "/v1/events", Some(event("LOGO-1", "EN_ROUTE", "+46701234567")))
        .await;
    let shipment = app.app.store.shipment(TenantId(1), "LOGO-1").await.unwrap().unwrap();
    let link = avisera_domain::links::Links::tracking(&*app.app.links, TenantId(1), shipment.id, "LOGO-1");
    let path = link.strip_prefix("https://track.example.com").unwrap();
    let page = app.page(path).await;
    assert!(page.contains("<img src=\"&#x2f;l&#x2f;1&#x2f;1\""), "{page}");

    // The email preview shows the tenant's own logo.
    let csrf = v.get("/portal/templates/new?channel=email").await.csrf();
    let preview = v
        .post(
            "/portal/templates/preview",
            &[
                ("csrf", &csrf),
                ("channel", "email"),
                ("default_language", "sv"),
                ("subject_sv", "Hej"),
                (
                    "html_sv",
                    "{% if logo_url %}<img src=\"{{ logo_url }}\">{% endif %}<p>Hej!</p>",
                ),
                ("text_sv", "Hej!"),
            ],
        )
        .await;
    let p: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
    // Autoescaping writes `/` as `&#x2f;`, which HTML reads back as `/`.
    let html = p["languages"]["sv"]["html"].as_str().unwrap().replace("&#x2f;", "/");
    assert_eq!(html, "<img src=\"https://track.example.com/l/1/1\"><p>Hej!</p>", "{p}");
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_change_and_a_broken_template_is_not_saved() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let rule = sms_rule(&app, "delivered", json!({})).await;
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let page = viewer.get(&format!("/portal/rules/{rule}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let refused = viewer
        .post(&format!("/portal/rules/{rule}/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("this needs the role editor; you are viewer"),
        "{}",
        refused.body
    );

    let mut editor = signed_in(&app, Role::Editor).await;
    let csrf = editor.get("/portal/templates/new").await.csrf();
    let broken = editor
        .post(
            "/portal/templates",
            &[
                ("csrf", &csrf),
                ("channel", "sms"),
                ("name", "Trasig"),
                ("default_language", "sv"),
                ("text_sv", "Hej!\nDitt paket {{ parcel_id }} är här."),
                ("text_en", "Hi! Your parcel {{ tracking_number }} is here."),
            ],
        )
        .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.body.contains("line 2"), "{}", broken.body);
    assert!(broken.body.contains("parcel_id"), "{}", broken.body);
    // The error stands in the Swedish box, where the mistake is, not in the English one.
    let swedish = &broken.body[broken.body.find("id=\"lang-sv\"").unwrap()..];
    let swedish = &swedish[..swedish.find("</fieldset>").unwrap()];
    assert!(swedish.contains("id=\"error-sv\""), "{swedish}");
    assert!(!broken.body.contains("id=\"error-en\""), "{}", broken.body);
    let (_, list) = app.call("GET", "/v1/templates", None).await;
    assert_eq!(list["templates"].as_array().unwrap().len(), 1, "nothing saved");

    // Without JavaScript the Preview button renders the same numbers into the page.
    let no_js = editor
        .post(
            "/portal/templates",
            &[
                ("csrf", &csrf),
                ("channel", "sms"),
                ("name", "Utan JS"),
                ("default_language", "sv"),
                ("action", "preview"),
                ("text_sv", "Hej {{ receiver_name }}! Ditt paket har kommit."),
            ],
        )
        .await;
    assert_eq!(no_js.status, StatusCode::OK);
    assert!(
        no_js.body.contains("Hej Anna Andersson! Ditt paket har kommit."),
        "{}",
        no_js.body
    );
    assert!(no_js.body.contains("id=\"preview-segments-sv\">1<"), "{}", no_js.body);
    let (_, list) = app.call("GET", "/v1/templates", None).await;
    assert_eq!(
        list["templates"].as_array().unwrap().len(),
        1,
        "a preview saves nothing"
    );

    let preview = editor
        .post(
            "/portal/templates/preview",
            &[
                ("csrf", &csrf),
                ("channel", "sms"),
                ("default_language", "sv"),
                ("text_sv", "Hej {{ receiver_name }}, ditt paket är här 📦"),
            ],
        )
        .await;
    let p: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(p["languages"]["sv"]["encoding"], "UCS-2", "{p}");
    assert_eq!(p["languages"]["sv"]["segments"], 1);
    assert_eq!(p["languages"]["sv"]["text"], "Hej Anna Andersson, ditt paket är här 📦");
}

#[tokio::test]
async fn a_message_sent_by_hand_arrives_once_is_logged_and_is_billed() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), None).await;
    app.call("POST", "/v1/events", Some(event("HAND-1", "EN_ROUTE", "0701234567")))
        .await;
    let mut v = signed_in(&app, Role::Editor).await;
    let found = v.get("/portal/track?q=0701234567").await;
    assert_eq!(
        found.location.as_deref(),
        Some("/portal/track/HAND-1"),
        "one hit goes straight to it"
    );
    let page = v.get("/portal/track/HAND-1").await;
    let csrf = page.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("send_key", "a1b2c3d4e5f6a7b8c9d0"),
        ("channel", "sms"),
        ("text", "Hej Anna! Vi har flyttat din leverans till i morgon. /Webshop"),
    ];
    let sent = v.post("/portal/track/HAND-1/send", &form).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let again = v.post("/portal/track/HAND-1/send", &form).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    let settled = app.settled_notifications().await;
    assert_eq!(settled.len(), 1, "{settled:#?}");
    assert_eq!(settled[0]["status"], "sent");
    assert_eq!(settled[0]["trigger"], serde_json::Value::Null);
    let log = provider
        .log
        .lock()
        .unwrap()
        .delivered
        .values()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0]["text"],
        "Hej Anna! Vi har flyttat din leverans till i morgon. /Webshop"
    );
    assert_eq!(log[0]["to"], "+46701234567");

    let month = app
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").unwrap())
        .strftime("%Y-%m")
        .to_string();
    let (_, bill) = app.call("GET", &format!("/v1/bill?month={month}"), None).await;
    let sms_line = bill["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "sms")
        .cloned();
    assert_eq!(sms_line.map(|l| l["amount_ore"].clone()), Some(json!(75)), "{bill:#}");

    let shown = v.get("/portal/track/HAND-1?sent=1").await;
    assert!(
        shown.body.contains("Vi har flyttat din leverans"),
        "the message shows under the shipment: {}",
        shown.body
    );
    assert!(shown.body.contains("The message is on its way"));
    let overview = v.get("/portal").await;
    assert!(overview.body.contains("· 1 notifications"), "{}", overview.body);
    assert!(
        overview.body.contains("By hand, or notices to you</td><td>1</td>"),
        "{}",
        overview.body
    );
}

fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args(args)
        .env("AVISERA_DATABASE_URL", &app.app.config.database_url)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn printed_password(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split("(shown once): ").nth(1).filter(|_| l.contains("password")))
        .unwrap_or_else(|| panic!("no password in {out}"))
        .trim()
        .to_string()
}

#[tokio::test]
async fn an_operator_creates_a_tenant_with_its_first_admin_and_more_users_from_the_command_line() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (ok, out) = cli(
        &app,
        &[
            "tenant",
            "create",
            "--name",
            "Cli Shop",
            "--admin-email",
            "boss@clishop.se",
        ],
    );
    assert!(ok, "{out}");
    let mut boss = Visitor::new(&app.base);
    assert_eq!(
        boss.sign_in("boss@clishop.se", &printed_password(&out)).await.status,
        StatusCode::SEE_OTHER
    );
    let home = boss.get("/portal").await;
    assert!(home.body.contains("Cli Shop (Plus)"), "{}", home.body);
    assert_eq!(
        boss.get("/portal/users").await.status,
        StatusCode::OK,
        "the first user is an admin"
    );

    let (ok, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--tenant",
            "2",
            "--email",
            "reader@clishop.se",
            "--role",
            "viewer",
        ],
    );
    assert!(ok, "{out}");
    let mut reader = Visitor::new(&app.base);
    reader.sign_in("reader@clishop.se", &printed_password(&out)).await;
    assert_eq!(reader.get("/portal/users").await.status, StatusCode::FORBIDDEN);

    let (ok, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--tenant",
            "1",
            "--email",
            "BOSS@clishop.se",
            "--role",
            "editor",
        ],
    );
    assert!(!ok);
    assert!(
        out.contains("cannot be added as a new user; use another address"),
        "{out}"
    );
    let (ok, out) = cli(
        &app,
        &[
            "user",
            "add",
            "--tenant",
            "9",
            "--email",
            "x@clishop.se",
            "--role",
            "viewer",
        ],
    );
    assert!(!ok);
    assert!(out.contains("there is no tenant 9"), "{out}");
}

#[tokio::test]
async fn the_portal_speaks_swedish_to_a_swedish_browser_and_switches_on_request() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Admin).await;
    let req = v
        .http
        .get(format!("{}/portal", app.base))
        .header("accept-language", "sv-SE,sv;q=0.9,en;q=0.5");
    let page = v.finish(req).await;
    assert!(
        page.body.contains("Översikt") && page.body.contains("Logga ut"),
        "{}",
        page.body
    );
    v.get("/portal/lang?to=en&back=/portal").await;
    let req = v
        .http
        .get(format!("{}/portal", app.base))
        .header("accept-language", "sv-SE");
    let page = v.finish(req).await;
    assert!(
        page.body.contains("Overview") && page.body.contains("Sign out"),
        "the chosen language wins"
    );
}

#[tokio::test]
async fn saving_a_rule_in_the_portal_keeps_what_the_form_shows_and_records_who_changed_what() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let rule = sms_rule(
        &app,
        "delivered",
        json!({"active_until": "2026-12-24T12:00:00Z",
               "quiet_hours": [{"channel": "sms", "from": "21:00", "until": "08:00"}, {"channel": "sms", "from": "12:00", "until": "13:00"}]}),
    )
    .await;
    let (_, before) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    let mut v = signed_in(&app, Role::Editor).await;
    let page = v.get(&format!("/portal/rules/{rule}")).await;
    assert!(
        page.body.contains("sms 21:00-08:00\nsms 12:00-13:00"),
        "both windows shown: {}",
        page.body
    );
    assert!(page.body.contains("value=\"2026-12-24\""), "the last active day shown");
    let csrf = page.csrf();
    let template = before["sms_template_id"].to_string();
    let saved = v
        .post(
            &format!("/portal/rules/{rule}"),
            &[
                ("csrf", &csrf),
                ("name", "Levererat, med paus"),
                ("trigger", "delivered"),
                ("channels", "sms"),
                ("sms_template_id", &template),
                ("recipient", "receiver"),
                ("active_until", "2026-12-24"),
                ("quiet_hours", "sms 21:00-08:00\r\nsms 12:00-13:00"),
                ("once_per_shipment", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = v.get(saved.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Saved."), "{}", after.body);
    let (_, rule_now) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(rule_now["quiet_hours"], before["quiet_hours"]);
    assert_eq!(
        rule_now["active_until"], before["active_until"],
        "an unchanged date keeps its instant"
    );
    assert_eq!(rule_now["enabled"], true, "editing keeps the rule enabled");
    let (_, history) = app.call("GET", &format!("/v1/rules/{rule}/history"), None).await;
    let last = history["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "editor@webshop.se (portal)");
    assert_eq!(
        last["detail"],
        "changed name, once_per_shipment; name: \"delivered by sms\" → \"Levererat, med paus\"; once_per_shipment: false → true",
        "{last}"
    );
    // The rule's page shows the old and the new value; in Swedish under the form's labels.
    let page = v.get(&format!("/portal/rules/{rule}")).await;
    assert!(
        page.body
            .contains("name: &quot;delivered by sms&quot; → &quot;Levererat, med paus&quot;"),
        "{}",
        page.body
    );
    v.get("/portal/lang?to=sv&back=/portal").await;
    let page = v.get(&format!("/portal/rules/{rule}")).await;
    assert!(
        page.body
            .contains("ändrade Namn, Högst en gång per sändning; Namn: &quot;delivered by sms&quot; → &quot;Levererat, med paus&quot;"),
        "{}",
        page.body
    );

    let bad = v
        .post(
            &format!("/portal/rules/{rule}"),
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("trigger", "delivered"),
                ("channels", "sms"),
                ("sms_template_id", &template),
                ("quiet_hours", "sms 25:00-08:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not a time of day"), "{}", bad.body);
    assert!(bad.body.contains("value=\"x\""), "what was typed stays in the form");
}

#[tokio::test]
async fn a_copied_library_rule_warns_of_a_second_rule_on_its_trigger_and_of_what_the_plan_lacks() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let mut v = signed_in(&app, Role::Editor).await;
    let csrf = v.get("/portal/library").await.csrf();
    let copied = v.post("/portal/library/delivered/copy", &[("csrf", &csrf)]).await;
    let page = v.get(copied.location.as_deref().unwrap()).await;
    assert!(
        page.body
            .contains("Copied: the templates and this rule are now your own."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Note: &quot;delivered by sms&quot; also send on this trigger"),
        "{}",
        page.body
    );

    // "Ready for pickup" needs Premium; the tenant is on Plus.
    let copied = v
        .post("/portal/library/ready_for_pickup/copy", &[("csrf", &csrf)])
        .await;
    let rule = copied
        .location
        .unwrap()
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let refused = v
        .post(&format!("/portal/rules/{rule}/enable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .body
            .contains("This rule&#x27;s trigger is not in your plan (Plus); it needs Premium."),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn an_editor_cancels_a_waiting_message_from_the_log_and_the_log_says_who() {
    let app = spawn_app(Db::Postgres, None, None).await;
    sms_rule(&app, "delivered", json!({"delay_minutes": 120})).await;
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("WAIT-1", "DELIVERED", "+46701234567")))
        .await;
    assert!(status.is_success(), "{body}");
    let (_, list) = app.call("GET", "/v1/notifications?tracking_number=WAIT-1", None).await;
    let id = list["notifications"][0]["id"].as_i64().unwrap();
    assert_eq!(list["notifications"][0]["status"], "scheduled");

    // A viewer sees when it is due but cannot cancel it.
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let log = viewer.get("/portal/log?status=scheduled").await;
    assert!(log.body.contains("class=\"due\""), "{}", log.body);
    assert!(!log.body.contains(&format!("id=\"cancel-{id}\"")));
    let csrf = log.csrf();
    let refused = viewer
        .post(
            &format!("/portal/log/{id}/cancel"),
            &[("csrf", &csrf), ("back", "/portal/log")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut editor = signed_in(&app, Role::Editor).await;
    let log = editor.get("/portal/log?status=scheduled").await;
    assert!(log.body.contains(&format!("id=\"cancel-{id}\"")), "{}", log.body);
    let csrf = log.csrf();
    let done = editor
        .post(
            &format!("/portal/log/{id}/cancel"),
            &[("csrf", &csrf), ("back", "/portal/log?status=scheduled")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/portal/log?status=scheduled"));
    let (_, n) = app.call("GET", &format!("/v1/notifications/{id}"), None).await;
    assert_eq!(n["status"], "cancelled", "{n}");
    assert_eq!(n["reason"], "cancelled by editor@webshop.se (portal)");
    assert_eq!(
        n["reason_code"], "cancelled_by",
        "the API adds the reason's stable code"
    );
    let log = editor.get("/portal/log").await;
    assert!(
        log.body.contains("cancelled by editor@webshop.se (portal)"),
        "{}",
        log.body
    );

    // Twice, or a message no longer waiting: said, nothing changes.
    let again = editor
        .post(
            &format!("/portal/log/{id}/cancel"),
            &[("csrf", &csrf), ("back", "/portal/log")],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert!(again.body.contains("no longer waits"), "{}", again.body);
}

#[tokio::test]
async fn portal_pages_ignore_a_links_extra_parameters_instead_of_answering_a_bare_400() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut viewer = signed_in(&app, Role::Viewer).await;
    for path in [
        "/portal/log?utm_source=mail&utm_campaign=x",
        "/portal/log?limit=abc&before_id=x",
        "/portal/track?q=ABC123&page=abc",
    ] {
        let page = viewer.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains("<html"), "{path}: a page, not a bare error");
    }
}

#[tokio::test]
async fn copying_a_library_entry_a_second_time_asks_first() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Editor).await;
    let csrf = v.get("/portal/library").await.csrf();
    let first = v.post("/portal/library/delivered/copy", &[("csrf", &csrf)]).await;
    assert!(
        first.location.as_deref().unwrap().starts_with("/portal/rules/"),
        "{:?}",
        first.location
    );
    async fn rules(app: &TestApp) -> usize {
        app.call("GET", "/v1/rules", None).await.1["rules"]
            .as_array()
            .unwrap()
            .len()
    }
    assert_eq!(rules(&app).await, 1);
    let library = v.get("/portal/library").await;
    assert!(
        library.body.contains("id=\"copied-delivered\""),
        "the copy is said: {}",
        library.body
    );

    // The same button again: nothing is copied, the page asks.
    let second = v.post("/portal/library/delivered/copy", &[("csrf", &csrf)]).await;
    assert_eq!(
        second.location.as_deref(),
        Some("/portal/library?twice=delivered#item-delivered")
    );
    assert_eq!(rules(&app).await, 1, "no second rule without asking");
    let asking = v.get("/portal/library?twice=delivered").await;
    assert!(asking.body.contains("Copy it again?"), "{}", asking.body);
    let again = v
        .post("/portal/library/delivered/copy", &[("csrf", &csrf), ("again", "1")])
        .await;
    assert!(again.location.as_deref().unwrap().starts_with("/portal/rules/"));
    assert_eq!(rules(&app).await, 2, "copied again once asked");
}

#[tokio::test]
async fn the_library_shows_its_examples_in_the_language_chosen_with_this_installations_links() {
    let app = spawn_app_configured(Db::Sqlite, None, None, |c| {
        c.public_url = avisera::config::HttpUrl::parse("https://spor.webshop.no").unwrap();
    })
    .await;
    let mut v = signed_in(&app, Role::Viewer).await;
    let page = v.get("/portal/library?lang=nb").await;
    let delivered = &page.body[page.body.find("id=\"item-delivered\"").unwrap()..];
    let delivered = &delivered[..delivered.find("</section>").unwrap()];
    assert!(
        delivered.contains("Pakken din er levert, takk for handelen!"),
        "{delivered}"
    );
    assert!(
        delivered.contains("https:&#x2f;&#x2f;spor.webshop.no&#x2f;r&#x2f;"),
        "this installation's links: {delivered}"
    );
    assert!(!page.body.contains("track.example.com"), "no made-up host");
    assert!(page.body.contains("aria-current=\"true\">Norwegian<"), "{}", page.body);
    // A language the library does not speak falls back to the brand's.
    let page = v.get("/portal/library?lang=xx").await;
    assert!(
        page.body.contains("Ditt paket är levererat, tack för köpet!"),
        "{}",
        page.body
    );
}
