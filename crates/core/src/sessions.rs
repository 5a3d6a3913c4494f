//! Signing in to the portal: a password checked against its argon2 hash under a brake on
//! guessing, and a session (a random token; only its hash is stored) that lasts a working day.

use crate::tenants::hash_secret;
use crate::users::password::{self, LoginThrottle};
use avisera_domain::tenant::Tenant;
use avisera_domain::user::User;
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{Portal, Session, StoreError, TenantConfig};

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// A random token for a session or a form: 64 hex digits.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many attempts for this email lately.
    #[error("too many attempts; wait {minutes} minutes")]
    Locked { minutes: i64 },
    /// No such user, or not their password: the answer is the same for both.
    #[error("wrong email or password")]
    Wrong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new session: the token for the browser's cookie, and who it is.
pub struct SignedIn {
    pub token: String,
    pub user: User,
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| password::hash("no such user"));

/// Checks an email and password and opens a session; `replaces` (the browser's old session
/// token, if any) ends.
pub async fn sign_in(
    store: &dyn Portal,
    throttle: &LoginThrottle,
    now: Timestamp,
    email: &str,
    secret: &str,
    replaces: Option<&str>,
) -> Result<SignedIn, SignInError> {
    throttle
        .attempt(email, now)
        .map_err(|minutes| SignInError::Locked { minutes })?;
    let found = store.user_by_email(email).await?;
    // Verify against a real hash even for an unknown email, so timing does not tell.
    let stored = found.as_ref().map_or_else(|| DUMMY_HASH.clone(), |(_, h)| h.clone());
    let ok = {
        let _permit = throttle
            .verifying
            .acquire()
            .await
            .expect("the semaphore is never closed");
        password::verify_async(secret.to_string(), stored).await
    } && found.is_some();
    let Some((user, _)) = found.filter(|_| ok) else {
        tracing::info!(email = %email, "portal sign-in failed");
        return Err(SignInError::Wrong);
    };
    throttle.succeeded(email);
    let token = open(store, user.tenant_id, user.id, now, replaces).await?;
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "portal sign-in");
    Ok(SignedIn { token, user })
}

/// Opens a session for the user and returns its token; `replaces` (the browser's old session
/// token, if any) ends.
pub async fn open<S>(
    store: &S,
    tenant: TenantId,
    user: UserId,
    now: Timestamp,
    replaces: Option<&str>,
) -> Result<String, StoreError>
where
    S: Portal + ?Sized,
{
    if let Some(old) = replaces {
        store.delete_session(&hash_secret(old)).await?;
    }
    let token = new_token();
    store
        .create_session(
            &Session {
                token_hash: hash_secret(&token),
                tenant_id: tenant,
                user_id: user,
                csrf_token: new_token(),
                expires_at: now + jiff::SignedDuration::from_hours(SESSION_HOURS),
            },
            now,
        )
        .await?;
    Ok(token)
}

/// The live session of `token` at `now`, with its user and tenant.
pub async fn session<S>(store: &S, token: &str, now: Timestamp) -> Result<Option<(Session, User, Tenant)>, StoreError>
where
    S: Portal + TenantConfig + ?Sized,
{
    let Some(session) = store.session(&hash_secret(token), now).await? else {
        return Ok(None);
    };
    let user = store.user(session.tenant_id, session.user_id).await?;
    let tenant = store.tenant(session.tenant_id).await?;
    Ok(user.zip(tenant).map(|(user, tenant)| (session, user, tenant)))
}
