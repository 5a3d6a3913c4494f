//! Starting Avisera and its peers for a test.

use avisera::app::App;
use avisera::config::{Config, DeliveryConfig, SmsHttpConfig, SmtpConfig, SmtpSecurity};
use avisera_core::tenants::{hash_secret, new_api_key};
use avisera_domain::plan::Plan;
use avisera_domain::retry::RetrySchedule;
use avisera_domain::tenant::Brand;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub async fn database_url(db: Db) -> String {
    match db {
        Db::Sqlite => avisera_store_sqlite::testing::fresh_sqlite_url(),
        Db::Postgres => avisera_store_postgres::testing::fresh_postgres_url().await,
    }
}

pub fn test_delivery() -> DeliveryConfig {
    DeliveryConfig {
        lease_ms: 2_000,
        poll_ms: 50,
        batch: 32,
        workers: 1,
        express_batch: 10,
        retry: RetrySchedule {
            delays_ms: vec![200, 400],
        },
        tenant_rate_per_second: None,
        failover: Default::default(),
    }
}

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub app: App,
    pub http: reqwest::Client,
}

/// Avisera in this process, on port 0, with one Plus tenant and its API key.
pub async fn spawn_app(db: Db, sms: Option<SmsHttpConfig>, smtp: Option<SmtpConfig>) -> TestApp {
    spawn_app_delivering(db, sms, smtp, test_delivery()).await
}

/// `spawn_app` with other delivery settings.
pub async fn spawn_app_delivering(
    db: Db,
    sms: Option<SmsHttpConfig>,
    smtp: Option<SmtpConfig>,
    delivery: DeliveryConfig,
) -> TestApp {
    spawn_app_configured(db, sms, smtp, |c| c.delivery = delivery).await
}

/// `spawn_app` with the configuration changed by `configure` before the app starts.
pub async fn spawn_app_configured(
    db: Db,
    sms: Option<SmsHttpConfig>,
    smtp: Option<SmtpConfig>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    spawn_app_timed(db, sms, smtp, configure, None).await
}

/// `spawn_app` on the test's clock: the node (its workers and upkeep too) reads the time from
/// `clock`, so a test moves it past midnight in a microsecond.
pub async fn spawn_app_at(db: Db, clock: std::sync::Arc<avisera_domain::FixedClock>) -> TestApp {
    spawn_app_timed(db, None, None, |_| {}, Some(clock)).await
}

async fn spawn_app_timed(
    db: Db,
    sms: Option<SmsHttpConfig>,
    smtp: Option<SmtpConfig>,
    configure: impl FnOnce(&mut Config),
    clock: Option<std::sync::Arc<avisera_domain::FixedClock>>,
) -> TestApp {
    init();
    let mut config = Config {
        database_url: database_url(db).await.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: avisera::config::HttpUrl::parse("https://track.example.com").unwrap(),
        dev_inbox: sms.is_none() && smtp.is_none(),
        delivery: test_delivery(),
        sms: sms.map(Into::into),
        smtp: smtp.map(Into::into),
        ..Config::default()
    };
    configure(&mut config);
    let store = avisera::server::open_migrated_store(&config).await.expect("store").0;
    let mut app = avisera::server::build_app(config, store);
    if let Some(clock) = clock {
        app.clock = clock;
    }
    let key = add_tenant(&app, "Webshop AB").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    TestApp {
        base,
        key,
        app,
        http: reqwest::Client::new(),
    }
}

pub async fn add_tenant(app: &App, name: &str) -> String {
    let now = app.clock.now();
    let mut brand = Brand::named(name);
    brand.sms_sender_id = "Webshop".into();
    let t = app.store.create_tenant(name, Plan::Plus, &brand, now).await.unwrap();
    let key = new_api_key();
    app.store
        .add_api_key(
            t.id,
            &hash_secret(&key),
            avisera_core::tenants::api_key_prefix(&key),
            "test",
            now,
        )
        .await
        .unwrap();
    key
}

impl TestApp {
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call_as(&self.http, &self.base, &self.key, method, path, body).await
    }

    pub async fn call_as(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        call_as(&self.http, &self.base, key, method, path, body).await
    }

    /// The body of a page anyone may open (no API key): metrics, tracking and opt-out pages.
    pub async fn page(&self, path: &str) -> String {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        resp.text().await.expect("a text body")
    }

    /// Waits until every notification is final (sent, failed or cancelled) and returns them.
    pub async fn settled_notifications(&self) -> Vec<Value> {
        wait_settled(&self.http, &self.base, &self.key).await
    }
}

pub async fn call_as(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub async fn wait_settled(http: &reqwest::Client, base: &str, key: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = call_as(http, base, key, "GET", "/v1/notifications?limit=1000", None).await;
        let list = body["notifications"].as_array().cloned().unwrap_or_default();
        if !list.is_empty() && list.iter().all(|n| n["status"] != "scheduled") {
            return list;
        }
        assert!(Instant::now() < deadline, "notifications did not settle: {list:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A template (`template` as posted) and an enabled rule on "delivered" sending it on its
/// channel; returns the rule's id.
pub async fn enabled_rule_for(app: &TestApp, template: Value) -> i64 {
    let channel = template["channel"].as_str().unwrap().to_string();
    let (status, created) = app.call("POST", "/v1/templates", Some(template)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let rule = json!({"name": "r", "trigger": "delivered", "channels": channel, format!("{channel}_template_id"): created["id"]});
    let (status, rule) = app.call("POST", "/v1/rules", Some(rule)).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let id = rule["id"].as_i64().unwrap();
    let (status, body) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// An SMS template and an enabled rule on `trigger`, sending SMS to the receiver.
pub async fn sms_rule(app: &TestApp, trigger: &str, extra: Value) -> i64 {
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({
                "name": format!("{trigger} sms"), "channel": "sms", "default_language": "sv",
                "contents": {
                    "sv": {"text": "Hej {{ receiver_name }}! Paket {{ tracking_number }}: {{ brand_name }} meddelar."},
                    "en": {"text": "Hi {{ receiver_name }}! Parcel {{ tracking_number }}: news from {{ brand_name }}."}
                }
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let mut rule = json!({ "name": format!("{trigger} by sms"), "trigger": trigger, "channels": "sms", "sms_template_id": template["id"] });
    if let (Some(r), Some(e)) = (rule.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    let (status, rule) = app.call("POST", "/v1/rules", Some(rule)).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    assert_eq!(rule["enabled"], false, "a new rule must be disabled");
    let id = rule["id"].as_i64().unwrap();
    let (status, enabled) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    id
}

pub fn event(tracking: &str, code: &str, phone: &str) -> Value {
    json!({
        "tracking_number": tracking, "code": code, "occurred_at": "2026-11-25T14:05:00+01:00",
        "shipment": { "destination_country": "SE", "receiver": { "name": "Anna", "phone": phone, "email": "anna@example.se", "language": "sv" } }
    })
}

/// What the fake SMS provider saw.
#[derive(Default)]
pub struct ProviderLog {
    pub requests: Vec<Value>,
    /// Messages "delivered to handsets", one per distinct idempotency key.
    pub delivered: HashMap<String, Value>,
    /// Statuses to answer the next requests with, before answering 200.
    pub fail_next: Vec<u16>,
    /// Requests answered so far (each is logged when it arrives, answered after the delay).
    pub answered: usize,
}

#[derive(Clone)]
pub struct SmsProvider {
    pub url: String,
    pub log: Arc<Mutex<ProviderLog>>,
}

/// A provider that answers 400 for numbers ending in 000 and delays every answer by `delay`.
pub async fn spawn_sms_provider(delay: Duration) -> SmsProvider {
    let log = Arc::new(Mutex::new(ProviderLog::default()));
    let state = (log.clone(), delay);
    let router = axum::Router::new()
        .route(
            "/send",
            axum::routing::post(
                |State((log, delay)): State<(Arc<Mutex<ProviderLog>>, Duration)>,
                 headers: HeaderMap,
                 Json(body): Json<Value>| async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let answer = {
                        let mut log = log.lock().unwrap();
                        let mut seen = body.clone();
                        seen["idempotency_key"] = json!(key);
                        seen["authorization"] = json!(auth);
                        log.requests.push(seen.clone());
                        if !log.fail_next.is_empty() {
                            let code = log.fail_next.remove(0);
                            (
                                StatusCode::from_u16(code).unwrap(),
                                json!({"error": "temporarily unavailable"}),
                            )
                        } else if body["to"].as_str().unwrap_or("").ends_with("000") {
                            (StatusCode::BAD_REQUEST, json!({"error": "number not in service"}))
                        } else {
                            log.delivered.entry(key.clone()).or_insert(seen);
                            (StatusCode::OK, json!({"id": format!("msg-{key}")}))
                        }
                    };
                    tokio::time::sleep(delay).await;
                    log.lock().unwrap().answered += 1;
                    (answer.0, Json(answer.1))
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    SmsProvider {
        url: format!("http://{addr}/send"),
        log,
    }
}

pub fn sms_config(provider: &SmsProvider) -> SmsHttpConfig {
    toml::from_str(&format!(
        "url = \"{}\"\nauth_value = \"Bearer provider-secret\"\n",
        provider.url
    ))
    .unwrap()
}

/// A real SMTP server process (aiosmtpd) writing what it receives to a Maildir.
pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn spawn_smtp_server() -> SmtpServer {
    start_smtp_server(&[]).await
}

/// An SMTP server that offers STARTTLS with a self-signed certificate for 127.0.0.1; returns
/// the server and the certificate's path (to trust as `ca_file`).
pub async fn spawn_smtp_server_with_starttls() -> (SmtpServer, PathBuf) {
    let dir = std::env::temp_dir().join(format!("avisera-tls-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, ca_key, cert, key, csr) = (
        dir.join("ca.pem"),
        dir.join("ca.key"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("req.csr"),
    );
    let ext = dir.join("ext.cnf");
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("openssl").args(args).output().expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let s = |s: &'static str| std::ffi::OsStr::new(s);
    // A private CA, and a server certificate it signs (a self-signed leaf is not a valid CA).
    openssl(
        &[
            s("req"),
            s("-x509"),
            s("-newkey"),
            s("rsa:2048"),
            s("-nodes"),
            s("-days"),
            s("2"),
        ]
        .into_iter()
        .chain([
            s("-subj"),
            s("/CN=Avisera test CA"),
            s("-keyout"),
            ca_key.as_os_str(),
            s("-out"),
            ca.as_os_str(),
        ])
        .collect::<Vec<_>>(),
    );
    openssl(
        &[
            s("req"),
            s("-newkey"),
            s("rsa:2048"),
            s("-nodes"),
            s("-subj"),
            s("/CN=127.0.0.1"),
        ]
        .into_iter()
        .chain([s("-keyout"), key.as_os_str(), s("-out"), csr.as_os_str()])
        .collect::<Vec<_>>(),
    );
    openssl(
        &[
            s("x509"),
            s("-req"),
            s("-days"),
            s("2"),
            s("-in"),
            csr.as_os_str(),
            s("-CA"),
            ca.as_os_str(),
        ]
        .into_iter()
        .chain([
            s("-CAkey"),
            ca_key.as_os_str(),
            s("-CAcreateserial"),
            s("-extfile"),
            ext.as_os_str(),
        ])
        .chain([s("-out"), cert.as_os_str()])
        .collect::<Vec<_>>(),
    );
    let tls = [
        "--tlscert".to_string(),
        cert.display().to_string(),
        "--tlskey".to_string(),
        key.display().to_string(),
    ];
    (start_smtp_server(&tls).await, ca)
}

async fn start_smtp_server(extra: &[String]) -> SmtpServer {
    let port = free_port();
    let maildir = std::env::temp_dir().join(format!("avisera-maildir-{}", uuid::Uuid::new_v4().simple()));
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(extra)
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
    let server = SmtpServer { port, maildir, child };
    let deadline = Instant::now() + Duration::from_secs(15);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "aiosmtpd did not start on port {port}; is it installed (pip install aiosmtpd)?"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

pub fn smtp_config(server: &SmtpServer) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: server.port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        name: None,
        default_from: "no-reply@webshop.example".into(),
        timeout_ms: 5_000,
        ca_file: None,
        rate_per_second: None,
    }
}

impl SmtpServer {
    /// Every mail received so far, decoded by Python's email package.
    pub fn mails(&self) -> Vec<Value> {
        let script = r#"
import json, mailbox, sys
from email.header import decode_header, make_header
out = []
for m in mailbox.Maildir(sys.argv[1], create=False):
    parts = {}
    for p in m.walk():
        if p.get_content_maintype() == "text":
            parts[p.get_content_subtype()] = p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8")
    out.append({"subject": str(make_header(decode_header(m["subject"]))), "to": m["to"], "from": str(make_header(decode_header(m["from"]))),
                "message_id": m["message-id"], "text": parts.get("plain"), "html": parts.get("html"),
                "list_unsubscribe": m["list-unsubscribe"], "list_unsubscribe_post": m["list-unsubscribe-post"]})
print(json.dumps(out))
"#;
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&self.maildir)
            .output()
            .expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub async fn wait_for_mails(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            assert!(Instant::now() < deadline, "expected {n} mails, got {mails:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// What the dev inbox holds, newest first.
pub async fn inbox(app: &TestApp) -> Vec<Value> {
    let body: Value = app
        .http
        .get(format!("{}/dev/inbox", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["messages"].as_array().cloned().unwrap_or_default()
}

/// A rule that sends the tenant an SMS on "delivered", written straight to the store.
pub async fn sms_rule_in_store(app: &App, tenant: avisera_domain::TenantId) {
    sms_rule_with(app, tenant, "delivered", "Levererat: {{ tracking_number }}", json!({})).await;
}

/// A rule named `name` that sends the tenant's receivers an SMS of `text` on "delivered", with
/// the rule's fields in `extra` over the defaults, written straight to the store.
pub async fn sms_rule_with(
    app: &App,
    tenant: avisera_domain::TenantId,
    name: &str,
    text: &str,
    extra: Value,
) -> avisera_domain::rule::Rule {
    let now = app.clock.now();
    let template = avisera_domain::template::Template {
        id: avisera_domain::TemplateId(0),
        name: "t".into(),
        channel: avisera_domain::notification::Channel::Sms,
        default_language: "sv".into(),
        contents: [(
            "sv".to_string(),
            avisera_domain::template::TemplateBody {
                text: text.into(),
                ..Default::default()
            },
        )]
        .into(),
        opt_out_footer: true,
    };
    let template_id = app.store.create_template(tenant, &template, now).await.unwrap();
    let mut body = json!({
        "id": 0, "name": name, "trigger": "delivered", "enabled": true, "conditions": {}, "channels": "sms",
        "recipient": {"kind": "receiver"}, "sms_template_id": template_id.0, "email_template_id": null,
        "active_from": null, "active_until": null, "once_per_shipment": false, "days_before_deadline": null,
        "campaign": null
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    let mut rule: avisera_domain::rule::Rule = serde_json::from_value(body).unwrap();
    rule.id = app
        .store
        .create_rule(
            tenant,
            &rule,
            &avisera_store::RuleChange::new(now, "test", "created", ""),
        )
        .await
        .unwrap();
    rule
}

/// A delivery worker of `app`, with its channels.
pub fn worker(app: &App, name: &str) -> avisera::delivery::worker::Worker {
    avisera::delivery::worker::Worker {
        app: app.clone(),
        channels: avisera::server::channels(app).unwrap(),
        name: name.into(),
    }
}
