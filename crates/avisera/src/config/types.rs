//! The typed values of the configuration that are more than a number or a word: URLs, the
//! database URL (whose password never prints), node roles and the log format.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// `sqlite://PATH`, `sqlite::memory:` or `postgres://USER:PASSWORD@HOST/DB`. `Debug` and
/// `Display` hide the password; `as_str` is for the driver alone.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<DatabaseUrl, String> {
        let url = DatabaseUrl(s.to_string());
        let known = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| s.starts_with(p));
        if !known {
            return Err(format!(
                "expected sqlite://PATH or postgres://USER@HOST/DATABASE, got \"{}\"",
                url.redacted()
            ));
        }
        Ok(url)
    }

    /// The URL itself, password included: only for connecting.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with its password (in the user part or a `password=` parameter) replaced.
    pub fn redacted(&self) -> String {
        let Ok(mut url) = url::Url::parse(&self.0) else {
            return "<a database URL that does not parse>".into();
        };
        if url.password().is_some() {
            let _ = url.set_password(Some("REDACTED"));
        }
        if url.query_pairs().any(|(k, _)| k.contains("password")) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.contains("password") {
                        "REDACTED".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
        }
        url.to_string()
    }
}

impl From<String> for DatabaseUrl {
    fn from(s: String) -> Self {
        DatabaseUrl(s)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(s: &str) -> Self {
        DatabaseUrl(s.into())
    }
}

/// So a test can hand it to a child process's environment.
impl AsRef<std::ffi::OsStr> for DatabaseUrl {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_ref()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DatabaseUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An absolute `http://` or `https://` URL with a host, kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub fn parse(s: &str) -> Result<HttpUrl, String> {
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(HttpUrl(s.to_string())),
            _ => Err(format!(
                "expected an http:// or https:// URL like https://track.example.com, got \"{s}\""
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for HttpUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HttpUrl::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `listen`: an IP address and a port.
pub fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<std::net::SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "expected an IP address and a port like 0.0.0.0:8080 or [::]:8080, got \"{s}\""
        ))
    })
}

/// What a node does. A node has one or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Serves the HTTP API, the webhooks, the portal and the public pages.
    Api,
    /// Runs the delivery workers (and serves only /healthz, /readyz and /metrics when it is not
    /// also an api node).
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Api => "api",
            Role::Worker => "worker",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal only).
    #[default]
    Text,
    /// One JSON object per line, with the fields of the spans it happened in.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_prints() {
        let url = DatabaseUrl::parse("postgres://avisera:hunter2@db.example.com:5432/avisera?sslmode=require").unwrap();
        for shown in [format!("{url:?}"), format!("{url}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("avisera:REDACTED@db.example.com"), "{shown}");
        }
        let query = DatabaseUrl::parse("postgres://db.example.com/a?user=x&password=hunter2").unwrap();
        assert!(!format!("{query:?}").contains("hunter2"));
        assert_eq!(
            url.as_str(),
            "postgres://avisera:hunter2@db.example.com:5432/avisera?sslmode=require"
        );
        assert!(DatabaseUrl::parse("sqlite::memory:").is_ok());
        let err = DatabaseUrl::parse("mysql://root:hunter2@x/y").unwrap_err();
        assert!(err.contains("postgres://") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn urls_are_http_with_a_host() {
        assert_eq!(
            HttpUrl::parse("https://track.example.com").unwrap().as_str(),
            "https://track.example.com"
        );
        assert!(HttpUrl::parse("track.example.com").is_err());
        assert!(HttpUrl::parse("ftp://x.example.com").is_err());
    }
}
