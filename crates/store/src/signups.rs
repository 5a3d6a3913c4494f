//! Self-service sign-up: a checked sign-up waits, under the hash of its emailed token, until its
//! admin follows the link; then its tenant and first admin are made together.

use crate::StoreResult;
use async_trait::async_trait;
use avisera_domain::organisation::OrganisationNumber;
use avisera_domain::signup::SignUp;
use avisera_domain::{TenantId, Timestamp, UserId};

#[async_trait]
pub trait SignUps: Send + Sync {
    /// Keeps a sign-up (with its admin's password hash) under `token_hash` until it expires,
    /// and forgets the sign-ups that expired unconfirmed.
    async fn add_signup(
        &self,
        token_hash: &str,
        signup: &SignUp,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The unconfirmed, unexpired sign-up under `token_hash`.
    async fn pending_signup(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<SignUp>>;
    /// Makes the pending sign-up's tenant (on its plan from `now`, with its organisation
    /// number) and its first admin, in one transaction, and marks it confirmed. `None` when there
    /// is no such pending, unexpired sign-up (a second click finds none). A `Conflict` when the
    /// organisation or the email has an account by now.
    async fn confirm_signup(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(TenantId, UserId)>>;
    /// The tenant the organisation already has, if any.
    async fn organisation_tenant(&self, organisation: &OrganisationNumber) -> StoreResult<Option<TenantId>>;
}
