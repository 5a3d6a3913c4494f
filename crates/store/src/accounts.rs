//! What portal users do with their own accounts and admins with others': a new password (own,
//! or by an emailed reset link), another role. A new password ends every session of the user.

use crate::StoreResult;
use async_trait::async_trait;
use avisera_domain::user::{Role, User};
use avisera_domain::{TenantId, Timestamp, UserId};

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Sets the user's password hash and ends all their sessions; false when the tenant has no
    /// such user.
    async fn set_password(&self, tenant: TenantId, user: UserId, password_hash: &str) -> StoreResult<bool>;
    /// False when the tenant has no such user.
    async fn set_role(&self, tenant: TenantId, user: UserId, role: Role) -> StoreResult<bool>;
    /// Keeps a reset link's token (its hash) for the user until `expires_at`, and forgets the
    /// expired ones.
    async fn add_password_reset(
        &self,
        token_hash: &str,
        tenant: TenantId,
        user: UserId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The user an unused, unexpired reset token is for.
    async fn password_reset(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>>;
    /// Uses the token: sets the user's password hash, ends their sessions and marks the token
    /// used, together. `None` (nothing changed) when it is unknown, used or expired.
    async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<User>>;
}
