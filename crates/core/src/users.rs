//! The tenant's portal users: added with a role and a first password (by an admin, the
//! command line or the demo), and removed (never by themselves).

pub mod account;
pub mod password;

use crate::{Error, Result};
use avisera_domain::contact::EmailAddress;
use avisera_domain::user::{Role, check_new_password};
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{NewUser, Portal, StoreError};

pub use password::LoginThrottle;

/// Creates a user; the error says what to fix.
pub async fn add(
    store: &dyn Portal,
    now: Timestamp,
    tenant: TenantId,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<UserId> {
    let refuse = |field: &str, message: String| Error::Invalid {
        code: "invalid_user",
        field: Some(field.to_string()),
        message,
    };
    let email = EmailAddress::parse(email).map_err(|e| refuse("email", e.to_string()))?;
    check_new_password(password).map_err(|m| refuse("password", m))?;
    let password_hash = password::hash_async(password.to_string()).await;
    let user = NewUser {
        email,
        name: name.trim().to_string(),
        role,
        password_hash,
    };
    match store.create_user(tenant, &user, now).await {
        Ok(id) => Ok(id),
        // Logins are unique across tenants; the answer is the same whether the address is
        // taken here or by another company, so it tells nothing about other tenants.
        Err(StoreError::Conflict { .. }) => Err(refuse(
            "email",
            format!(
                "{} cannot be added as a new user; use another address, or ask the person which address they sign in with",
                user.email
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Removes a user of the tenant; `by` (the one asking) cannot remove themselves.
pub async fn remove(store: &dyn Portal, tenant: TenantId, by: UserId, id: UserId) -> Result<()> {
    if id == by {
        return Err(Error::Invalid {
            code: "invalid_user",
            field: None,
            message: "you cannot remove yourself; ask another admin".into(),
        });
    }
    if !store.delete_user(tenant, id).await? {
        return Err(Error::not_found(format!("user {id}")));
    }
    Ok(())
}

/// A first password for a user created from the command line or the demo: 16 random letters
/// and digits, shown once.
pub fn new_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}
