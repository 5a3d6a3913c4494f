//! EDIFACT as a carrier sends it: uploaded over the API (raw and multipart) and imported with
//! the command line; what the receiver gets, what the sender learns, and that a second upload
//! of the same file sends nothing twice.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub const IFTMIN: &[u8] = include_bytes!("../data/iftmin_unoc.edi");
pub const IFTSTA: &[u8] = include_bytes!("../data/iftsta_unow.edi");
const ASA_SSCC: &str = "00370712345678901234";

pub async fn upload_raw(app: &TestApp, body: &[u8]) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/v1/edifact", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/edifact")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.json().await.unwrap())
}

async fn upload_multipart(app: &TestApp, file: &[u8]) -> (StatusCode, Value) {
    let boundary = "avisera-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"status.edi\"\r\nContent-Type: application/edifact\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = app
        .http
        .post(format!("{}/v1/edifact", app.base))
        .bearer_auth(&app.key)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.json().await.unwrap())
}

async fn receiver_gets_order_and_delivery_once(db: Db) {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(db, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "transport_order_received", json!({})).await;
    sms_rule(&app, "delivered", json!({})).await;

    // Latin-1 (UNOC) transport orders: M1 and M3 are good, M2 has no receiver.
    let (status, summary) = upload_raw(&app, IFTMIN).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{summary:#}");
    assert_eq!(
        (
            &summary["messages"],
            &summary["accepted_messages"],
            &summary["rejected_messages"]
        ),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(summary["shipments"], 2);
    let error = &summary["errors"][0];
    assert_eq!(
        (
            &error["interchange"],
            &error["message"],
            &error["segment"],
            &error["kind"]
        ),
        (&json!("PN000123"), &json!("M2"), &Value::Null, &json!("content"))
    );
    assert_eq!(error["tag"], "NAD", "the segment that should hold the receiver");
    assert!(error["expected"].as_str().unwrap().contains("NAD+CN"), "{error}");
    assert_eq!(summary["interchanges"][0]["rejected"], 1);

    // UTF-8 (UNOW) status report, as a multipart form: delivered.
    let (status, summary) = upload_multipart(&app, IFTSTA).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{summary:#}");
    assert_eq!(summary["events"], 1);

    let notifications = app.settled_notifications().await;
    let sent: Vec<_> = notifications.iter().filter(|n| n["status"] == "sent").collect();
    assert_eq!(sent.len(), 2, "{notifications:#?}");
    {
        let log = provider.log.lock().unwrap();
        let mut texts: Vec<_> = log
            .delivered
            .values()
            .map(|r| {
                (
                    r["to"].as_str().unwrap().to_string(),
                    r["text"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        texts.sort();
        let expected = format!("Hej Åsa Ødegård! Paket {ASA_SSCC}: Webshop AB meddelar.");
        assert_eq!(
            texts,
            vec![
                ("+46701234567".to_string(), expected.clone()),
                ("+46701234567".to_string(), expected)
            ]
        );
    }
    let (_, shipment) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    let codes: Vec<_> = shipment["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].clone())
        .collect();
    assert_eq!(codes, vec![json!("CREATED"), json!("IFTSTA:21")], "{shipment:#}");
    assert_eq!(shipment["events"][1]["location"], "Göteborg Nordstan");

    // The same files again: nothing new is stored, nobody hears twice.
    let (status, again) = upload_raw(&app, IFTMIN).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!((&again["events"], &again["duplicates"]), (&json!(0), &json!(2)));
    let (status, again) = upload_raw(&app, IFTSTA).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        (&again["events"], &again["duplicates"], &again["notifications"]),
        (&json!(0), &json!(1), &json!(0))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.settled_notifications().await.len(), notifications.len());
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 2);
}

#[tokio::test]
async fn receiver_gets_order_and_delivery_once_sqlite() {
    receiver_gets_order_and_delivery_once(Db::Sqlite).await;
}

#[tokio::test]
async fn receiver_gets_order_and_delivery_once_postgres() {
    receiver_gets_order_and_delivery_once(Db::Postgres).await;
}

/// A corrected transport order (a new document with a new mobile number) is not a duplicate:
/// it updates the shipment.
#[tokio::test]
async fn a_corrected_transport_order_is_not_a_duplicate_and_updates_the_shipment() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "transport_order_received", json!({})).await;
    let (status, _) = upload_raw(&app, IFTMIN).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(app.settled_notifications().await.len(), 2);
    let latin1: String = IFTMIN.iter().map(|&b| char::from(b)).collect();
    let corrected = latin1
        .replace("0701234567", "0707654321")
        .replace("DTM+137:202611250900", "DTM+137:202611251000");
    let corrected: Vec<u8> = corrected.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let (_, summary) = upload_raw(&app, &corrected).await;
    assert_eq!(
        (&summary["events"], &summary["duplicates"]),
        (&json!(1), &json!(1)),
        "{summary:#}"
    );
    let (_, shipment) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(
        shipment["shipment"]["details"]["receiver_phone"], "+46707654321",
        "{shipment:#}"
    );
    // The old number does not hear again; the corrected one, which never heard, does
    // (notifications are once per rule, shipment, trigger and recipient).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.settled_notifications().await.len(), 3);
    let mut to: Vec<String> = provider
        .log
        .lock()
        .unwrap()
        .delivered
        .values()
        .map(|r| r["to"].as_str().unwrap().to_string())
        .collect();
    to.sort();
    assert_eq!(to, vec!["+46701234567", "+46707654321"], "M3's receiver has no phone");
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_413_and_the_server_goes_on() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let limit = app.app.config.max_body_bytes;
    let mut huge = IFTSTA.to_vec();
    huge.resize(limit + 1, b'\n');
    let (status, body) = upload_raw(&app, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("avisera import"),
        "{body}"
    );
    let (status, body) = upload_multipart(&app, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Nothing of it was stored, and the next upload works.
    let (status, _) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = upload_raw(&app, IFTSTA).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = upload_raw(&app, b"UNB+UNOC:3+S+R+261125:1405+1'UNZ+0+1'").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = upload_raw(&app, b"not edifact").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["kind"], "syntax");
    let resp = app
        .http
        .post(format!("{}/v1/edifact", app.base))
        .body(IFTSTA.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

/// A chunked upload (no Content-Length) that never ends: cut off at the limit with 413, and
/// the server answers the next request.
#[tokio::test]
async fn an_endless_chunked_upload_is_cut_off_with_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(Db::Sqlite, None, None).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/edifact HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nContent-Type: application/edifact\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.key
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'A'; 1 << 20];
    let mut sent = 0;
    // Stop writing once the server has answered and stopped reading (or after twice the limit).
    while sent < 2 * app.app.config.max_body_bytes {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if conn.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("upload_too_large"), "{answer}");
    let (status, body) = upload_raw(&app, IFTSTA).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

fn data_file(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn avisera(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("AVISERA_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_dry_run_needs_no_database_and_prints_every_error() {
    let (iftmin, iftsta) = (data_file("iftmin_unoc.edi"), data_file("iftsta_unow.edi"));
    let (code, out, err) = avisera(
        &["import", "--dry-run", &iftmin, &iftsta],
        &[("AVISERA_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        out,
        format!(
            "{iftmin}: rejected: interchange PN000123, message M2, segment NAD, element 1, byte 377: expected a receiver: \
             NAD+CN (consignee) or NAD+DP (delivery party), the party qualifier in element 1, found only NAD+CZ\n\
             interchange PN000123 from 5790000110018: 3 messages, 2 accepted, 1 rejected\n\
             interchange PN000124 from 5790000110018: 1 message, 1 accepted, 0 rejected\n\
             messages: 4 (3 accepted, 1 rejected)\n\
             shipments: 2\n\
             events: 3 new, 0 duplicates\n\
             notifications: 0\n\
             dry run: nothing was stored\n"
        )
    );
    let (code, out, _) = avisera(&["import", "--dry-run", &iftsta], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = avisera(&["import", &iftsta], &[]);
    assert_ne!(code, 0);
    assert!(err.contains("--tenant"), "{err}");
}

#[tokio::test]
async fn import_stores_once_and_its_exit_status_tells_rejects() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let env = [
        ("AVISERA_DATABASE_URL", app.app.config.database_url.as_str()),
        ("AVISERA_LINK_SECRET", "0123456789abcdef0123456789abcdef"),
    ];
    let (iftmin, iftsta) = (data_file("iftmin_unoc.edi"), data_file("iftsta_unow.edi"));
    let (code, out, err) = avisera(&["import", "--tenant", "1", &iftsta], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("events: 1 new, 0 duplicates"), "{out}");
    let (code, out, _) = avisera(&["import", "--tenant", "1", &iftsta], &env);
    assert_eq!(code, 0);
    assert!(out.contains("events: 0 new, 1 duplicates"), "{out}");
    let (code, out, _) = avisera(&["import", "--tenant", "1", "--json", &iftmin], &env);
    assert_eq!(code, 2, "{out}");
    let summary: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&summary["shipments"], &summary["rejected_messages"]),
        (&json!(2), &json!(1))
    );
    let (_, shipment) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(shipment["events"].as_array().unwrap().len(), 2, "{shipment:#}");
    let (code, _, err) = avisera(&["import", "--tenant", "99", &iftsta], &env);
    assert_eq!(code, 1);
    assert!(err.contains("no tenant 99"), "{err}");
}

/// A file in the temporary directory, removed when the test is done with it.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!("avisera-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// IFTSTA with its own separators (`UNA|~.! "`): what a Windows tool writes with a BOM first.
fn iftsta_with_una() -> Vec<u8> {
    // "+0100" needs no release character once `+` is no separator.
    let text = std::str::from_utf8(IFTSTA).unwrap().replace("?+0100", "\u{1}");
    let custom: String = text
        .chars()
        .map(|c| match c {
            '+' => '~',
            ':' => '|',
            '\'' => '"',
            '?' => '!',
            c => c,
        })
        .collect();
    let custom = custom.replace('\u{1}', "+0100");
    [BOM, b"UNA|~.! \"", custom.as_bytes()].concat()
}

#[tokio::test]
async fn a_byte_order_mark_or_padding_before_unb_loses_no_message() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, summary) = upload_raw(&app, &iftsta_with_una()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{summary:#}");
    assert_eq!(
        (&summary["accepted_messages"], &summary["events"]),
        (&json!(1), &json!(1))
    );

    // NUL padding before UNB: reported with its offset, and the message is still stored.
    let padded = [&[0u8; 16][..], b"\r\n", IFTMIN].concat();
    let (status, summary) = upload_raw(&app, &padded).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{summary:#}");
    assert_eq!(
        (
            &summary["accepted_messages"],
            &summary["rejected_messages"],
            &summary["shipments"]
        ),
        (&json!(2), &json!(1), &json!(2))
    );
    let e = &summary["errors"][0];
    assert_eq!((&e["kind"], &e["byte"]), (&json!("syntax"), &json!(0)), "{summary:#}");
    assert_eq!(
        e["error"],
        "byte 0: expected UNA or UNB, found 16 stray bytes (00 00 00 00 00 00 00 00 ...), skipped"
    );
    let (status, _) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(status, StatusCode::OK);

    // The same on the command line.
    let file = TempFile::new("padded.edi", &padded);
    let (code, out, err) = avisera(&["import", "--dry-run", file.path()], &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.starts_with(&format!(
            "{}: rejected: byte 0: expected UNA or UNB, found 16 stray bytes",
            file.path()
        )),
        "{out}"
    );
    assert!(out.contains("messages: 3 (2 accepted, 1 rejected)"), "{out}");
}

/// Every error of a file with a bad country, a date that does not exist and an item id with a
/// space: each names the segment and element the value is in, never a JSON field.
#[tokio::test]
async fn content_errors_name_the_segment_and_element_that_hold_the_value() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let latin1: String = IFTMIN.iter().map(|&b| char::from(b)).collect();
    let bad = latin1
        .replace("+41101+SE'", "+41101+SWE'")
        .replace("DTM+137:202611250902", "DTM+137:202602300902");
    let bad: Vec<u8> = bad.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect();
    let (status, summary) = upload_raw(&app, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    let place = |e: &Value| {
        (
            e["message"].as_str().unwrap().to_string(),
            e["tag"].as_str().unwrap_or("").to_string(),
            e["segment"].as_u64(),
            e["element"].as_u64(),
            e["component"].as_u64(),
        )
    };
    let errors = summary["errors"].as_array().unwrap();
    let places: Vec<_> = errors.iter().map(place).collect();
    assert_eq!(
        places,
        vec![
            ("M1".to_string(), "NAD".to_string(), Some(7), Some(9), Some(1)),
            ("M2".to_string(), "NAD".to_string(), None, Some(1), None),
            ("M3".to_string(), "DTM".to_string(), Some(3), Some(1), Some(2)),
        ],
        "{summary:#}"
    );
    let nad = bad.windows(6).position(|w| w == b"NAD+CN").unwrap();
    assert_eq!(
        errors[0]["error"],
        format!(
            "interchange PN000123, message M1, segment 7 (NAD), element 9.1, byte {nad}: expected a valid country code \
             (3207): \"SWE\" is not a two-letter country code like SE"
        )
    );
    assert!(errors[1]["error"].as_str().unwrap().contains("NAD+CN"), "{}", errors[1]);
    assert!(errors[2]["found"] == "\"202602300902\"", "{}", errors[2]);

    let status_report = std::str::from_utf8(IFTSTA)
        .unwrap()
        .replace("GIN+BN+0037", "GIN+BN+0037 ");
    let (status, summary) = upload_raw(&app, status_report.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    let e = &summary["errors"][0];
    assert_eq!(
        place(e),
        ("S1".to_string(), "GIN".to_string(), Some(8), Some(2), Some(1)),
        "{e}"
    );
    assert_eq!(e["found"], "\"0037 0712345678901234\"");
    for e in errors.iter().chain([e]) {
        let text = e["error"].as_str().unwrap();
        for json_word in ["occurred_at", "tracking_number", "shipment.", "field ", "{", "\\"] {
            assert!(!text.contains(json_word), "{text}");
        }
    }
}

#[tokio::test]
async fn utf8_in_a_file_that_declares_latin1_is_a_character_set_error() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    // The Latin-1 file re-encoded as UTF-8, its UNB still saying UNOC.
    let utf8: String = IFTMIN.iter().map(|&b| char::from(b)).collect();
    let (status, summary) = upload_raw(&app, utf8.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    let e = &summary["errors"][0];
    assert_eq!(
        (&e["message"], &e["segment"], &e["tag"]),
        (&json!("M1"), &json!(7), &json!("NAD"))
    );
    let text = e["error"].as_str().unwrap();
    assert!(
        text.contains("UNOC")
            && text.contains("UTF-8")
            && text.contains("UNOW or UNOY")
            && text.contains("Åsa Ødegård"),
        "{text}"
    );
    // Nothing garbled was stored.
    let (status, _) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The file as sent, Latin-1, still works.
    let (status, summary) = upload_raw(&app, IFTMIN).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{summary:#}");
    let (_, shipment) = app.call("GET", &format!("/v1/shipments/{ASA_SSCC}"), None).await;
    assert_eq!(
        shipment["shipment"]["details"]["receiver_name"], "Åsa Ødegård",
        "{shipment:#}"
    );
}

/// An empty file is rejected the same way on the API (422) and on the command line (exit 2),
/// with the same words; so is an interchange without messages.
#[tokio::test]
async fn an_empty_file_is_rejected_alike_by_the_api_and_the_command_line() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let empty = "the file holds no interchange: it is empty";
    for body in [&b""[..], b"\r\n  \n", BOM] {
        let (status, summary) = upload_raw(&app, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
        assert_eq!(summary["errors"][0]["error"], empty, "{summary:#}");
        let file = TempFile::new("empty.edi", body);
        let (code, out, err) = avisera(&["import", "--dry-run", file.path()], &[]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            out.starts_with(&format!("{}: rejected: {empty}\n", file.path())),
            "{out}"
        );
    }
    let no_messages = b"UNB+UNOC:3+S+R+261125:1405+1'UNZ+0+1'";
    let (status, summary) = upload_raw(&app, no_messages).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    let file = TempFile::new("no-messages.edi", no_messages);
    let (code, out, _) = avisera(&["import", "--dry-run", file.path()], &[]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out.lines().next().unwrap(),
        format!(
            "{}: rejected: {}",
            file.path(),
            summary["errors"][0]["error"].as_str().unwrap()
        )
    );
}

/// A file cut off inside a segment: the error names that segment, not the one before.
#[test]
fn a_truncated_file_names_the_segment_it_ends_in() {
    let cut = IFTSTA.windows(3).position(|w| w == b"GIN").unwrap() + 8;
    let file = TempFile::new("cut.edi", &IFTSTA[..cut]);
    let (code, out, err) = avisera(&["import", "--dry-run", file.path()], &[]);
    assert_eq!(code, 2, "{out}{err}");
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "{}: rejected: interchange PN000124, message S1, segment 8 (GIN), byte {}: expected segment terminator \"'\", \
             found end of input after \"GIN+BN+0\"",
            file.path(),
            cut - 8
        )
    );
}
