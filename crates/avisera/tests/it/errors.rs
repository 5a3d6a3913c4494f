//! Every error of the API is the documented JSON shape (issue 12, item 14), also those axum
//! answers itself: a path parameter that does not parse, a query that does not, a body over
//! the limit, an unknown route, a method the route lacks, a missing body.

use crate::helpers::*;
use serde_json::Value;

async fn raw(app: &TestApp, method: &str, path: &str, body: Vec<u8>) -> (u16, String, String, Value) {
    let resp = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, allow) = (header("content-type"), header("allow"));
    let text = resp.text().await.unwrap();
    (
        status,
        content_type,
        allow,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn errors_axum_makes_itself_come_in_the_json_shape() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let too_big = vec![b' '; app.app.config.max_body_bytes + 1];
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        ("GET", "/v1/rules/abc", vec![], 400, "bad_request"),
        (
            "GET",
            "/v1/notifications/99999999999999999999999",
            vec![],
            400,
            "bad_request",
        ),
        ("GET", "/v1/bill?nonsense=1", vec![], 400, "bad_request"),
        ("POST", "/v1/webhooks/tracking/x", b"{}".to_vec(), 400, "bad_request"),
        ("POST", "/v1/templates", too_big.clone(), 413, "body_too_large"),
        ("PUT", "/v1/mapping", too_big, 413, "body_too_large"),
        ("DELETE", "/v1/rules", vec![], 405, "method_not_allowed"),
        ("GET", "/v1/no/such/thing", vec![], 404, "not_found"),
        ("POST", "/v1/templates", vec![], 400, "empty_body"),
    ];
    for (method, path, body, status, code) in cases {
        let (got, content_type, allow, answer) = raw(&app, method, path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert!(
            content_type.starts_with("application/json"),
            "{method} {path}: {content_type} {answer}"
        );
        assert_eq!(answer["error"]["code"], code, "{method} {path}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
        if status == 405 {
            assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
        }
    }
}

/// A write the database refuses as taken is the caller's conflict (409, naming the
/// constraint), not an outage (503): retrying it cannot help. The uniqueness rule is added
/// beside the running app, as a real constraint of the schema would refuse it.
#[tokio::test]
async fn a_unique_violation_is_a_409_naming_its_constraint_on_both_engines() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db, None, None).await;
        let url = app.app.config.database_url.as_str();
        let unique = "CREATE UNIQUE INDEX one_template_per_tenant ON templates (tenant_id)";
        match db {
            Db::Sqlite => {
                let side = avisera_store_sqlite::connect(url).await.unwrap();
                sqlx::query(unique).execute(side.pool()).await.unwrap();
            }
            Db::Postgres => {
                let side = avisera_store_postgres::connect(url).await.unwrap();
                sqlx::query(unique).execute(side.pool()).await.unwrap();
            }
        }
        let template = serde_json::json!({
            "name": "delivered", "channel": "sms", "default_language": "sv",
            "contents": {"sv": {"text": "Levererat: {{ tracking_number }}"}}
        });
        let (status, _) = app.call("POST", "/v1/templates", Some(template.clone())).await;
        assert_eq!(status.as_u16(), 201);
        let (status, answer) = app.call("POST", "/v1/templates", Some(template)).await;
        assert_eq!(status.as_u16(), 409, "{answer}");
        assert_eq!(answer["error"]["code"], "conflict", "{answer}");
        let constraint = answer["error"]["constraint"].as_str().unwrap_or_default();
        assert!(
            constraint.contains("one_template_per_tenant") || constraint == "templates.tenant_id",
            "{answer}"
        );
        let (status, listed) = app.call("GET", "/v1/templates", None).await;
        assert_eq!(status.as_u16(), 200);
        assert_eq!(
            listed["templates"].as_array().map(Vec::len),
            Some(1),
            "nothing of the refused write: {listed}"
        );
    }
}
