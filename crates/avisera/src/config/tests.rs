//! Loading: layers, every key by environment, typed values and the errors that name keys.

use super::*;
use secrecy::ExposeSecret;

fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("avisera-config-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn file_then_environment() {
    let path = temp_file(
        "layers",
        "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\nroles = [\"api\"]\n[sms]\nurl = \"http://127.0.0.1:1/send\"\n[delivery]\nbatch = 5\n[delivery.retry]\ndelays_ms = [10, 20]\n",
    );
    let env = vars(&[
        ("AVISERA_DATABASE_URL", "postgres://x:pg-s3cret@127.0.0.1/y"),
        ("AVISERA_SMS_AUTH", "Bearer s3cret"),
        ("AVISERA_DELIVERY__BATCH", "9"),
    ]);
    let c = Config::load(Some(&path), env).unwrap();
    assert_eq!(c.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(
        (c.log_format, c.roles.as_slice()),
        (LogFormat::Json, [Role::Api].as_slice())
    );
    assert_eq!(c.database_url.as_str(), "postgres://x:pg-s3cret@127.0.0.1/y");
    assert_eq!(c.delivery.batch, 9, "the environment wins over the file");
    assert_eq!(c.delivery.poll_ms, 500, "a key neither sets keeps its default");
    assert_eq!(c.delivery.retry.delays_ms, vec![10, 20]);
    let debug = format!("{c:?}");
    for secret in ["s3cret", "pg-s3cret"] {
        assert!(!debug.contains(secret), "a secret was printed: {debug}");
    }
    let open = Config {
        dev_inbox: true,
        listen: "0.0.0.0:8080".parse().unwrap(),
        ..Config::default()
    };
    assert!(open.check().unwrap_err().to_string().contains("dev_inbox"));
    assert!(
        Config {
            dev_inbox: true,
            ..Config::default()
        }
        .check()
        .is_ok()
    );
    std::fs::write(&path, "lisen = 1\n").unwrap();
    let err = Config::load(Some(&path), vec![]).unwrap_err().to_string();
    assert!(err.contains("lisen"), "{err}");
}

/// A container configured by environment alone: every key, nested ones included.
#[test]
fn every_key_can_be_set_by_the_environment_alone() {
    let env = vars(&[
        ("AVISERA_DATABASE_URL", "postgres://avisera:pw@db/avisera"),
        ("AVISERA_LISTEN", "0.0.0.0:9090"),
        ("AVISERA_PUBLIC_URL", "https://track.example.com"),
        ("AVISERA_LINK_SECRET", "0123456789abcdef0123456789abcdef"),
        ("AVISERA_RECEIPTS_SECRET", "receipts-0123456789abcdef01234567"),
        ("AVISERA_DEV_INBOX", "false"),
        ("AVISERA_SIGNUP", "no"),
        ("AVISERA_MAX_BODY_BYTES", "2048"),
        ("AVISERA_RETENTION_DAYS", "90"),
        ("AVISERA_ROLES", "worker"),
        ("AVISERA_LOG_FORMAT", "json"),
        ("AVISERA_DELIVERY__LEASE_MS", "30000"),
        ("AVISERA_DELIVERY__POLL_MS", "250"),
        ("AVISERA_DELIVERY__BATCH", "16"),
        ("AVISERA_DELIVERY__WORKERS", "3"),
        ("AVISERA_DELIVERY__EXPRESS_BATCH", "5"),
        ("AVISERA_DELIVERY__RETRY__DELAYS_MS", "1000,2000,3000"),
        ("AVISERA_DELIVERY__TENANT_RATE_PER_SECOND", "10"),
        ("AVISERA_DELIVERY__FAILOVER__FAILURES", "5"),
        ("AVISERA_DELIVERY__FAILOVER__COOL_DOWN_MS", "60000"),
        ("AVISERA_PRICES__PLUS__MONTHLY_FEE_ORE", "1"),
        ("AVISERA_PRICES__PLUS__SMS_SEGMENT_ORE", "2"),
        ("AVISERA_PRICES__PLUS__EMAIL_ORE", "3"),
        ("AVISERA_PRICES__PREMIUM__MONTHLY_FEE_ORE", "4"),
        ("AVISERA_PRICES__PREMIUM__SMS_SEGMENT_ORE", "5"),
        ("AVISERA_PRICES__PREMIUM__EMAIL_ORE", "6"),
        ("AVISERA_PRICES__ENTERPRISE__MONTHLY_FEE_ORE", "7"),
        ("AVISERA_PRICES__ENTERPRISE__SMS_SEGMENT_ORE", "8"),
        ("AVISERA_PRICES__ENTERPRISE__EMAIL_ORE", "9"),
        ("AVISERA_SMTP__NAME", "relay"),
        ("AVISERA_SMTP__HOST", "smtp.example.com"),
        ("AVISERA_SMTP__PORT", "465"),
        ("AVISERA_SMTP__SECURITY", "tls"),
        ("AVISERA_SMTP__USERNAME", "avisera"),
        ("AVISERA_SMTP__PASSWORD", "smtp-s3cret"),
        ("AVISERA_SMTP__DEFAULT_FROM", "no-reply@example.com"),
        ("AVISERA_SMTP__CA_FILE", "/etc/ca.pem"),
        ("AVISERA_SMTP__TIMEOUT_MS", "1000"),
        ("AVISERA_SMTP__RATE_PER_SECOND", "20"),
        ("AVISERA_SMS__NAME", "sinch"),
        ("AVISERA_SMS__URL", "https://sms.example.com/v1/messages"),
        ("AVISERA_SMS__FORMAT", "form"),
        ("AVISERA_SMS__AUTH_HEADER", "X-Key"),
        ("AVISERA_SMS__AUTH_VALUE", "sms-s3cret"),
        ("AVISERA_SMS__IDEMPOTENCY_HEADER", "X-Once"),
        ("AVISERA_SMS__FROM_FIELD", "sender"),
        ("AVISERA_SMS__TO_FIELD", "msisdn"),
        ("AVISERA_SMS__TEXT_FIELD", "body"),
        ("AVISERA_SMS__ID_FIELD", "message_id"),
        ("AVISERA_SMS__TIMEOUT_MS", "2000"),
        ("AVISERA_SMS__RATE_PER_SECOND", "30"),
        ("AVISERA_SMS__RECEIPTS__ID_FIELD", "messageId"),
        ("AVISERA_SMS__RECEIPTS__STATUS_FIELD", "dlr"),
        ("AVISERA_SMS__RECEIPTS__REASON_FIELD", "error"),
        ("AVISERA_SMS__RECEIPTS__TIME_FIELD", "doneAt"),
        ("AVISERA_SMS__RECEIPTS__DELIVERED", "ok,DELIVRD"),
        ("AVISERA_SMS__RECEIPTS__UNDELIVERED", "nok"),
        ("AVISERA_NATS__URL", "nats://bus:4222"),
        ("AVISERA_NATS__STREAM", "EVENTS"),
        ("AVISERA_NATS__SUBJECT_PREFIX", "carrier"),
        ("AVISERA_NATS__CONSUMER", "nodes"),
        ("AVISERA_NATS__BATCH", "100"),
        ("AVISERA_NATS__ACK_WAIT_MS", "5000"),
        ("AVISERA_NATS__MAX_IN_FLIGHT", "800"),
    ]);
    // The list above is complete: it names every key there is (the mapping file, which
    // is read at load, below).
    let named: Vec<String> = env.iter().map(|(k, _)| k.clone()).collect();
    for (key, _) in KEYS.iter().filter(|(k, _)| *k != "mapping_file") {
        assert!(named.contains(&var_name(key)), "{} is not tested", var_name(key));
    }
    let c = Config::load(None, env).unwrap();
    let Config {
        database_url,
        listen,
        public_url,
        link_secret,
        receipts_secret,
        dev_inbox,
        signup,
        max_body_bytes,
        retention_days,
        roles,
        log_format,
        delivery,
        prices,
        mapping_file,
        operator_mapping: _,
        smtp,
        sms,
        nats,
    } = c;
    assert_eq!(database_url.as_str(), "postgres://avisera:pw@db/avisera");
    assert_eq!(listen, "0.0.0.0:9090".parse().unwrap());
    assert_eq!(public_url.as_str(), "https://track.example.com");
    assert_eq!(link_secret.unwrap().expose_secret(), "0123456789abcdef0123456789abcdef");
    assert_eq!(
        receipts_secret.unwrap().expose_secret(),
        "receipts-0123456789abcdef01234567"
    );
    assert!(!dev_inbox);
    assert!(!signup);
    assert_eq!(max_body_bytes, 2048);
    assert_eq!(retention_days, 90);
    assert_eq!(roles, vec![Role::Worker]);
    assert_eq!(log_format, LogFormat::Json);
    assert_eq!(
        (delivery.lease_ms, delivery.poll_ms, delivery.batch, delivery.workers),
        (30000, 250, 16, 3)
    );
    assert_eq!(delivery.express_batch, 5);
    assert_eq!(delivery.retry.delays_ms, vec![1000, 2000, 3000]);
    assert_eq!(delivery.tenant_rate_per_second, Some(10));
    assert_eq!((delivery.failover.failures, delivery.failover.cool_down_ms), (5, 60000));
    let p = |x: &avisera_domain::billing::Prices| (x.monthly_fee_ore.0, x.sms_segment_ore.0, x.email_ore.0);
    assert_eq!(
        (p(&prices.plus), p(&prices.premium), p(&prices.enterprise)),
        ((1, 2, 3), (4, 5, 6), (7, 8, 9))
    );
    assert_eq!(mapping_file, None, "set below: it is read at load");
    let smtp = smtp.unwrap().first().clone();
    assert_eq!(smtp.name(), "relay");
    assert_eq!(
        (smtp.host.as_str(), smtp.port, smtp.security, smtp.username.as_deref()),
        ("smtp.example.com", 465, SmtpSecurity::Tls, Some("avisera"))
    );
    assert_eq!(smtp.password.unwrap().expose_secret(), "smtp-s3cret");
    assert_eq!(smtp.default_from, "no-reply@example.com");
    assert_eq!(smtp.ca_file, Some("/etc/ca.pem".into()));
    assert_eq!((smtp.timeout_ms, smtp.rate_per_second), (1000, Some(20)));
    let sms = sms.unwrap().first().clone();
    assert_eq!(sms.name(), "sinch");
    assert_eq!(sms.url.as_str(), "https://sms.example.com/v1/messages");
    assert_eq!(sms.format, BodyFormat::Form);
    assert_eq!(sms.auth_value.unwrap().expose_secret(), "sms-s3cret");
    assert_eq!(
        [
            sms.auth_header,
            sms.idempotency_header,
            sms.from_field,
            sms.to_field,
            sms.text_field,
            sms.id_field
        ],
        ["X-Key", "X-Once", "sender", "msisdn", "body", "message_id"]
    );
    assert_eq!((sms.timeout_ms, sms.rate_per_second), (2000, Some(30)));
    let receipts = sms.receipts.clone();
    assert_eq!(
        [
            receipts.id_field.as_str(),
            &receipts.status_field,
            &receipts.reason_field,
            &receipts.time_field
        ],
        ["messageId", "dlr", "error", "doneAt"]
    );
    assert_eq!(
        (receipts.delivered, receipts.undelivered),
        (vec!["ok".to_string(), "DELIVRD".into()], vec!["nok".to_string()])
    );
    let nats = nats.unwrap();
    assert_eq!(
        (
            nats.url.as_str(),
            nats.stream.as_str(),
            nats.subject_prefix.as_str(),
            nats.consumer.as_str()
        ),
        ("nats://bus:4222", "EVENTS", "carrier", "nodes")
    );
    assert_eq!((nats.batch, nats.ack_wait_ms, nats.max_in_flight), (100, 5000, 800));

    let mapping = temp_file("mapping", "");
    let mapping = mapping.with_file_name("m.tsv");
    std::fs::write(&mapping, "SIGNED_FOR  delivered  yes  delivered  signed\n").unwrap();
    let c = Config::load(None, vars(&[("AVISERA_MAPPING_FILE", mapping.to_str().unwrap())])).unwrap();
    assert_eq!(c.mapping_file.as_deref(), Some(mapping.as_path()));
    assert!(c.operator_mapping.entries().count() > 0);
}

#[test]
fn a_wrong_value_names_its_key_and_what_to_write() {
    let err = |env: &[(&str, &str)]| Config::load(None, vars(env)).unwrap_err().to_string();
    assert_eq!(
        err(&[("AVISERA_DELIVERY__BATCH", "abc")]),
        "AVISERA_DELIVERY__BATCH: expected a whole number, got \"abc\""
    );
    let e = err(&[("AVISERA_LISTEN", "localhost")]);
    assert!(
        e.contains("listen (from AVISERA_LISTEN)") && e.contains("0.0.0.0:8080"),
        "{e}"
    );
    let e = err(&[("AVISERA_PUBLIC_URL", "track.example.com")]);
    assert!(e.contains("public_url") && e.contains("https://"), "{e}");
    let e = err(&[("AVISERA_SMS__URL", "nope")]);
    assert!(e.contains("sms.url (from AVISERA_SMS__URL)"), "{e}");
    let e = err(&[("AVISERA_SMTP__HOST", "smtp.example.com")]);
    assert!(
        e.contains("`port` is missing") && e.contains("AVISERA_SMTP__PORT"),
        "{e}"
    );
    let e = err(&[("AVISERA_SMTP__PORT", "70000"), ("AVISERA_SMTP__HOST", "h")]);
    assert!(e.contains("smtp.port (from AVISERA_SMTP__PORT)"), "{e}");
    let e = err(&[("AVISERA_SMTP__SECURITY", "ssl")]);
    assert!(e.contains("smtp.security") && e.contains("starttls"), "{e}");
    let e = err(&[("AVISERA_DELIVERY__BATCH", "0")]);
    assert!(
        e.contains("delivery.batch (from AVISERA_DELIVERY__BATCH): must be at least 1"),
        "{e}"
    );
    let e = err(&[("AVISERA_DELIVERY__WORKERS", "0")]);
    assert!(e.contains("roles = [\"api\"]"), "{e}");
    let e = err(&[("AVISERA_ROLES", "api,cron")]);
    assert!(e.contains("roles") && e.contains("cron"), "{e}");
    let e = err(&[("AVISERA_DATABASE_URL", "mysql://root:hunter2@db/x")]);
    assert!(e.contains("database_url") && !e.contains("hunter2"), "{e}");
    let e = err(&[("AVISERA_DELIVERY_BATCH", "3")]);
    assert!(e.contains("AVISERA_DELIVERY__BATCH"), "{e}");
    // The old names keep working; the new one wins when both are set.
    let c = Config::load(
        None,
        vars(&[
            ("AVISERA_SMS__URL", "http://127.0.0.1:1/send"),
            ("AVISERA_SMS__AUTH_VALUE", "new"),
            ("AVISERA_SMS_AUTH", "old"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.sms.unwrap().first().auth_value.as_ref().unwrap().expose_secret(),
        "new"
    );
    assert_eq!(
        err(&[("AVISERA_SMTP_PASSWORD", "x")]).split(':').next(),
        Some("smtp (from AVISERA_SMTP_PASSWORD)"),
        "a password without a server says what is missing"
    );
}

#[test]
fn the_bus_is_off_until_its_url_is_set_and_its_values_are_checked() {
    assert!(Config::load(None, vars(&[])).unwrap().nats.is_none());
    let c = Config::load(None, vars(&[("AVISERA_NATS_URL", "nats://127.0.0.1:4222")])).unwrap();
    let nats = c.nats.unwrap();
    assert_eq!(
        (nats.stream.as_str(), nats.subject_prefix.as_str(), nats.batch),
        ("AVISERA", "avisera", 500)
    );
    for (var, value, says) in [
        ("AVISERA_NATS__URL", "http://bus", "nats://host:4222"),
        ("AVISERA_NATS__STREAM", "A.B", "without dots"),
        ("AVISERA_NATS__BATCH", "0", "at least 1"),
        ("AVISERA_NATS__MAX_IN_FLIGHT", "10", "at least 500"),
    ] {
        let mut env = vec![("AVISERA_NATS__URL", "nats://bus:4222")];
        env.push((var, value));
        let e = Config::load(None, vars(&env)).unwrap_err().to_string();
        assert!(e.contains(says), "{var}={value}: {e}");
    }
}

#[test]
fn a_rate_limit_of_nothing_per_second_is_refused_saying_what_to_write() {
    let err = |env: &[(&str, &str)]| Config::load(None, vars(env)).unwrap_err().to_string();
    assert_eq!(
        err(&[("AVISERA_DELIVERY__TENANT_RATE_PER_SECOND", "0")]),
        "delivery.tenant_rate_per_second (from AVISERA_DELIVERY__TENANT_RATE_PER_SECOND): 0 messages per second would hold every message forever: remove the key for no limit, or write 1 or more"
    );
    let path = temp_file(
        "rates",
        "[sms]\nurl = \"http://127.0.0.1:1/send\"\nrate_per_second = 0\n",
    );
    let e = Config::load(Some(&path), vec![]).unwrap_err().to_string();
    assert!(
        e.starts_with("sms.rate_per_second (in ") && e.contains("write 1 or more"),
        "{e}"
    );
    assert!(
        err(&[("AVISERA_SMS__RATE_PER_SECOND", "5/s")]).contains("AVISERA_SMS__RATE_PER_SECOND"),
        "a rate that is no whole number names its variable"
    );
    let c = Config::load(None, vars(&[])).unwrap();
    assert_eq!(
        crate::delivery::limits::send_limits(&c),
        Default::default(),
        "no limit unless set"
    );
}

#[test]
fn several_providers_are_listed_in_order_each_with_every_key_and_a_name() {
    let path = temp_file(
        "providers",
        r#"
[[sms.providers]]
name = "first"
url = "http://127.0.0.1:1/send"
auth_value = "Bearer one-s3cret"
rate_per_second = 20
[sms.providers.receipts]
id_field = "messageId"

[[sms.providers]]
name = "second"
url = "http://127.0.0.1:2/messages"
format = "form"
to_field = "msisdn"

[[smtp.servers]]
name = "relay-a"
host = "smtp-a.example.com"
port = 587
security = "starttls"
default_from = "no-reply@example.com"

[[smtp.servers]]
name = "relay-b"
host = "smtp-b.example.com"
port = 25
security = "none"
default_from = "no-reply@example.com"

[delivery.failover]
failures = 2
cool_down_ms = 5000
"#,
    );
    let c = Config::load(Some(&path), vec![]).unwrap();
    let sms = c.sms.unwrap();
    let names: Vec<&str> = sms.all().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["first", "second"]);
    let (first, second) = (&sms.all()[0], &sms.all()[1]);
    assert_eq!(first.rate_per_second, Some(20));
    assert_eq!(
        first.receipts.id_field, "messageId",
        "each provider has its receipts table"
    );
    assert_eq!(second.receipts.id_field, "id");
    assert_eq!((second.format, second.to_field.as_str()), (BodyFormat::Form, "msisdn"));
    assert!(
        !format!("{sms:?}").contains("one-s3cret"),
        "a provider's secret never prints"
    );
    let smtp = c.smtp.unwrap();
    let hosts: Vec<(&str, &str)> = smtp.all().iter().map(|s| (s.name(), s.host.as_str())).collect();
    assert_eq!(
        hosts,
        [("relay-a", "smtp-a.example.com"), ("relay-b", "smtp-b.example.com")]
    );
    assert_eq!(
        (c.delivery.failover.failures, c.delivery.failover.cool_down_ms),
        (2, 5000)
    );

    // The single tables keep working, named as the metrics named them before.
    let one = Config::load(None, vars(&[("AVISERA_SMS__URL", "http://127.0.0.1:1/send")])).unwrap();
    assert_eq!(one.sms.unwrap().first().name(), "sms_http");
    let defaults = Config::load(None, vars(&[])).unwrap();
    assert_eq!(defaults.delivery.failover, FailoverConfig::default());
}

#[test]
fn a_provider_list_that_cannot_work_says_what_to_write() {
    let err = |name: &str, text: &str| {
        let path = temp_file(name, text);
        Config::load(Some(&path), vec![]).unwrap_err().to_string()
    };
    let provider = |name: &str| format!("[[sms.providers]]\n{name}url = \"http://127.0.0.1:1/send\"\n");
    let e = err("unnamed", &format!("{}{}", provider("name = \"a\"\n"), provider("")));
    assert!(
        e.contains("sms.providers[1] has no name") && e.contains("name = \"first\""),
        "{e}"
    );
    let e = err(
        "twice",
        &format!("{}{}", provider("name = \"a\"\n"), provider("name = \"a\"\n")),
    );
    assert!(e.contains("\"a\" names two providers"), "{e}");
    let e = err("bad-name", &provider("name = \"First Provider\"\n"));
    assert!(e.contains("sms.providers[0].name") && e.contains("lowercase"), "{e}");
    let e = err(
        "beside",
        &format!("[sms]\ntimeout_ms = 5\n{}", provider("name = \"a\"\n")),
    );
    assert!(e.contains("`timeout_ms` is beside [[sms.providers]]"), "{e}");
    let e = err("inner-key", &provider("name = \"a\"\nformat = \"xml\"\n"));
    assert!(e.starts_with("sms.providers[0].format (in "), "{e}");
    let e = err(
        "servers",
        "[[smtp.servers]]\nname = \"a\"\nhost = \"h\"\nsecurity = \"none\"\ndefault_from = \"x@example.com\"\n",
    );
    assert!(
        e.starts_with("smtp.servers[0] (in ") && e.ends_with("`port` is missing: write it in the file"),
        "{e}"
    );
    let e = err("failures", "[delivery.failover]\nfailures = 0\n");
    assert!(
        e.contains("delivery.failover.failures") && e.contains("at least 1"),
        "{e}"
    );
}
