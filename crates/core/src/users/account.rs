//! What users do with accounts beyond adding and removing: change their own password, have an
//! admin change their role, and reset a forgotten password by an emailed link (an hour, once).

use super::password;
use crate::sessions;
use crate::tenants::hash_secret;
use crate::{Error, Result};
use avisera_domain::contact::EmailAddress;
use avisera_domain::notification::Message;
use avisera_domain::user::{Role, User, check_new_password};
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{Accounts, Portal, StoreResult};
use jiff::SignedDuration;

/// How long a reset link works.
pub const RESET_WITHIN_MINUTES: i64 = 60;

fn refuse(field: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        code: "invalid_user",
        field: Some(field.to_string()),
        message: message.into(),
    }
}

/// The signed-in user's new password, after their current one: every session of theirs ends,
/// and the new session's token (for this browser) is returned.
pub async fn change_password<S>(store: &S, user: &User, current: &str, new: &str, now: Timestamp) -> Result<String>
where
    S: Accounts + Portal + ?Sized,
{
    let stored = store
        .user_by_email(user.email.as_str())
        .await?
        .map(|(_, hash)| hash)
        .unwrap_or_default();
    if !password::verify_async(current.to_string(), stored).await {
        return Err(refuse("current_password", "that is not your current password"));
    }
    check_new_password(new).map_err(|m| refuse("new_password", m))?;
    let hash = password::hash_async(new.to_string()).await;
    if !store.set_password(user.tenant_id, user.id, &hash).await? {
        return Err(Error::not_found("user"));
    }
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "password changed");
    Ok(sessions::open(store, user.tenant_id, user.id, now, None).await?)
}

/// An admin gives another user of the tenant another role (not themselves: another admin must).
pub async fn change_role(store: &dyn Accounts, tenant: TenantId, by: UserId, id: UserId, role: Role) -> Result<()> {
    if id == by {
        return Err(refuse("role", "you cannot change your own role; ask another admin"));
    }
    if !store.set_role(tenant, id, role).await? {
        return Err(Error::not_found(format!("user {id}")));
    }
    Ok(())
}

/// "Forgot your password?": for a known email, a reset token (for the emailed link) and its
/// user; `None` for an unknown one, which the page must not tell apart.
pub async fn start_reset<S>(store: &S, email: &str, now: Timestamp) -> Result<Option<(User, String)>>
where
    S: Accounts + Portal + ?Sized,
{
    let Some((user, _)) = store.user_by_email(email).await? else {
        return Ok(None);
    };
    let token = reset_token(store, &user, now).await?;
    Ok(Some((user, token)))
}

/// A new reset link's token for `user`, kept (as its hash) for an hour.
pub(crate) async fn reset_token(store: &(impl Accounts + ?Sized), user: &User, now: Timestamp) -> StoreResult<String> {
    let token = sessions::new_token();
    let expires = now + SignedDuration::from_mins(RESET_WITHIN_MINUTES);
    store
        .add_password_reset(&hash_secret(&token), user.tenant_id, user.id, expires, now)
        .await?;
    Ok(token)
}

/// The user a reset link is for, while it works.
pub async fn reset_for(store: &dyn Accounts, token: &str, now: Timestamp) -> Result<Option<User>> {
    Ok(store.password_reset(&hash_secret(token), now).await?)
}

/// Sets the new password from a reset link and signs the user in: the session's token. `None`
/// when the link is unknown, used or expired.
pub async fn finish_reset<S>(store: &S, token: &str, new: &str, now: Timestamp) -> Result<Option<String>>
where
    S: Accounts + Portal + ?Sized,
{
    check_new_password(new).map_err(|m| refuse("new_password", m))?;
    let hash = password::hash_async(new.to_string()).await;
    let Some(user) = store.use_password_reset(&hash_secret(token), &hash, now).await? else {
        return Ok(None);
    };
    tracing::info!(tenant = %user.tenant_id, user = %user.id, "password reset by link");
    Ok(Some(sessions::open(store, user.tenant_id, user.id, now, None).await?))
}

/// The email with the reset link, in the portal language `lang` (`sv`, `nb`, `da`, `fi`;
/// English for any other).
pub fn reset_email(user: &User, link: &str, lang: &str) -> Message {
    let email = user.email.to_string();
    let minutes = RESET_WITHIN_MINUTES.to_string();
    let subject = crate::account_mail::fill(lang, "reset_subject", &[]);
    let text = crate::account_mail::fill(
        lang,
        "reset_text",
        &[
            ("name", &user.name),
            ("email", &email),
            ("link", link),
            ("minutes", &minutes),
        ],
    );
    account_email(&user.email, subject, text)
}

/// Avisera's own plain-text email to a person about their account (sign-up, password): from
/// Avisera, and with no opt-out, since it is no tenant's message.
pub(crate) fn account_email(to: &EmailAddress, subject: String, text: String) -> Message {
    Message::Email {
        from_name: "Avisera".into(),
        from_address: None,
        reply_to: None,
        to: to.to_string(),
        subject,
        html: None,
        text,
        list_unsubscribe: None,
    }
}
