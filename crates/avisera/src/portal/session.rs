//! Who is signed in: the session cookie (a random token; only its hash is stored), the
//! interface language, and the CSRF check every form POST goes through.

use super::view::PortalError;
use crate::app::App;
use avisera_domain::tenant::Tenant;
use avisera_domain::user::{Role, User};
use avisera_store::Session;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

pub const SESSION_COOKIE: &str = "avisera_session";
pub const LANG_COOKIE: &str = "avisera_lang";
pub use avisera_core::sessions::{SESSION_HOURS, new_token};

/// The interface language: Swedish, Norwegian (bokmål), Danish, Finnish or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Sv,
    Nb,
    Da,
    Fi,
    En,
}

impl Lang {
    /// Every language, in the order the switch in the header lists them.
    pub const ALL: [Lang; 5] = [Lang::Sv, Lang::Nb, Lang::Da, Lang::Fi, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::Nb => "nb",
            Lang::Da => "da",
            Lang::Fi => "fi",
            Lang::En => "en",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::Nb => "Norsk",
            Lang::Da => "Dansk",
            Lang::Fi => "Suomi",
            Lang::En => "English",
        }
    }

    /// A language tag as browsers and cookies write it (`sv`, `sv-SE`, `no`, `nn`, `nb-NO`).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "sv" => Some(Lang::Sv),
            // Norwegian in any written form reads bokmål.
            "nb" | "no" | "nn" => Some(Lang::Nb),
            "da" => Some(Lang::Da),
            "fi" => Some(Lang::Fi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// From the language cookie, else the first of the browser's preferences the portal
    /// speaks, else English.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) = cookie(headers, LANG_COOKIE).as_deref().and_then(Lang::parse) {
            return lang;
        }
        let accept = headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        accept
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(Lang::parse)
            .unwrap_or(Lang::En)
    }
}

impl<S: Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::of(&parts.headers))
    }
}

/// One cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when the portal is served over HTTPS.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age_s: i64) -> String {
    let secure = if app.config.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}")
}

/// A signed-in user, with their tenant, session and language. Pages that need one redirect
/// to the sign-in page without it.
pub struct Signed {
    pub user: User,
    pub tenant: Tenant,
    pub session: Session,
    pub lang: Lang,
    /// This installation's public origin (`public_url`), which a form's `Origin` may name.
    pub public_url: String,
}

impl Signed {
    /// Refuses the request unless the user's role includes `needed`.
    pub fn require(&self, needed: Role) -> Result<(), PortalError> {
        if self.user.role.allows(needed) {
            Ok(())
        } else {
            Err(PortalError::Forbidden(format!(
                "this needs the role {needed}; you are {}. Ask an admin of {}.",
                self.user.role, self.tenant.name
            )))
        }
    }

    /// Every form POST carries the session's CSRF token, and a browser that says where the
    /// request came from must say it came from this site.
    /// A form that changes something: its CSRF token, then the role it needs.
    pub fn submits(&self, token: &str, headers: &HeaderMap, needed: Role) -> Result<(), PortalError> {
        self.check_form(token, headers)?;
        self.require(needed)
    }

    pub fn check_form(&self, token: &str, headers: &HeaderMap) -> Result<(), PortalError> {
        check_same_site(headers, &self.public_url)?;
        if !constant_time_eq(token.as_bytes(), self.session.csrf_token.as_bytes()) {
            return Err(PortalError::Csrf);
        }
        Ok(())
    }
}

/// A form POST from another site is refused: by `Sec-Fetch-Site`, and by `Origin`, which must
/// be this installation's own (the origin of `public_url`, or the one the `Host` header names)
/// when a browser sends it. Without either header (not a browser) the CSRF token decides.
pub fn check_same_site(headers: &HeaderMap, public_url: &str) -> Result<(), PortalError> {
    // A header that is not text matches nothing below, so it is refused.
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    match header("sec-fetch-site") {
        None | Some("same-origin") | Some("none") => {}
        Some(_) => return Err(PortalError::Csrf),
    }
    let Some(origin) = header("origin") else {
        return Ok(());
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let host_origin = |host: &str| {
        ["http://", "https://"]
            .iter()
            .any(|scheme| origin.strip_prefix(scheme) == Some(host.to_ascii_lowercase().as_str()))
    };
    if origin == origin_of(public_url) || header("host").is_some_and(host_origin) {
        Ok(())
    } else {
        Err(PortalError::Csrf)
    }
}

/// `https://track.example.com/x` → `https://track.example.com`.
fn origin_of(url: &str) -> String {
    let url = url.to_ascii_lowercase();
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    url[..end].to_string()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<App> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let to_login = || {
            // The live preview is read by JavaScript, which needs to hear "signed out".
            if parts.uri.path() == "/portal/templates/preview" {
                let body = axum::Json(serde_json::json!({"error": "you are signed out; sign in again in another tab"}));
                return (axum::http::StatusCode::UNAUTHORIZED, body).into_response();
            }
            // After signing in the browser GETs `next`: only a page it was reading can be it.
            let next = if parts.method == axum::http::Method::GET {
                parts.uri.path_and_query().map_or("/portal", |p| p.as_str())
            } else {
                "/portal"
            };
            Redirect::to(&format!("/portal/login?next={}", crate::links::query_value(next))).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let lang = Lang::of(&parts.headers);
        let now = app.clock.now();
        let found = avisera_core::sessions::session(app.store.as_ref(), &token, now)
            .await
            .map_err(|e| PortalError::from(e).into_response())?;
        found
            .map(|(session, user, tenant)| Signed {
                user,
                tenant,
                session,
                lang,
                public_url: app.config.public_url.as_str().to_string(),
            })
            .ok_or_else(to_login)
    }
}

#[cfg(test)]
mod lang_tests {
    use super::*;

    fn headers(cookie: Option<&str>, accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(c) = cookie {
            h.insert("cookie", format!("{LANG_COOKIE}={c}").parse().unwrap());
        }
        h.insert("accept-language", accept.parse().unwrap());
        h
    }

    #[test]
    fn the_cookie_decides_then_the_first_language_the_browser_asks_for_that_the_portal_speaks() {
        let cases = [
            (Some("da"), "sv-SE", Lang::Da),
            (Some("fi"), "", Lang::Fi),
            (Some("xx"), "nb-NO,nb;q=0.9", Lang::Nb),
            (None, "no", Lang::Nb),
            (None, "nn-NO", Lang::Nb),
            (None, "de-DE,da;q=0.8,en;q=0.5", Lang::Da),
            (None, "fi-FI", Lang::Fi),
            (None, "sv", Lang::Sv),
            (None, "de-DE", Lang::En),
            (None, "", Lang::En),
        ];
        for (cookie, accept, want) in cases {
            assert_eq!(Lang::of(&headers(cookie, accept)), want, "{cookie:?} {accept:?}");
        }
    }

    #[test]
    fn every_language_reads_back_from_its_code() {
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
    }
}
