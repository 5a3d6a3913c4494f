//! Avisera's store on PostgreSQL (production, many nodes) through sqlx's typed driver:
//! instants are `timestamptz`, structured values `jsonb`, flags `boolean` (migration 2 converts a
//! database made by the `Any` store), rows are decoded with `FromRow`, and every database error
//! is sorted by its SQLSTATE into the store's kinds (`error`).
//!
//! Instants cross the wire as `PgTime` (`codec`): sqlx 0.8 knows no `jiff`, and PostgreSQL's
//! binary `timestamptz` is microseconds since 2000-01-01, so we encode it ourselves: whole
//! milliseconds written (as the SQLite store keeps them), read back exactly, without `chrono` or
//! `time` in the build.
#![forbid(unsafe_code)]

mod accounts;
mod adopt;
mod arrivals;
mod batch;
mod budget;
mod claim;
mod codec;
mod delivery;
mod error;
mod events;
mod ingest;
mod logos;
mod migrate;
mod notifications;
mod plan_requests;
mod privacy;
mod ratings;
mod receipts;
mod receivers;
mod rules;
mod send;
mod setup;
mod signups;
mod spend;
mod stats;
mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
mod users;
pub mod wake;

pub use codec::PgTime;
pub use error::classify;
pub use migrate::{MIGRATIONS, Migration};
pub use setup::{connect, connect_options};

use async_trait::async_trait;
use avisera_domain::billing::{Billed, Charge, PlanPeriod};
use avisera_domain::event::CarrierEvent;
use avisera_domain::logo::LogoKind;
use avisera_domain::money::Ore;
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::rate::{Rate, SendLimits};
use avisera_domain::receiver::{Reach, Receiver, ReceiverId, ReceiverToken};
use avisera_domain::rule::Rule;
use avisera_domain::shipment::Shipment;
use avisera_domain::template::Template;
use avisera_domain::tenant::{BillingSettings, Brand, OtherBrand, Tenant};
use avisera_domain::user::User;
use avisera_domain::{LogoId, NotificationId, RuleId, TemplateId, TenantId, Timestamp, UserId};
use avisera_store::*;
use sqlx::PgPool;
use std::collections::HashMap;

/// A store on one PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// A store on a pool opened elsewhere (`connect` opens one from a URL).
    pub fn from_pool(pool: PgPool) -> Self {
        PgStore { pool }
    }

    /// `migrate` with other migrations than this build's: for tests of later migrations.
    pub async fn migrate_with(&self, migrations: &[Migration]) -> StoreResult<MigrationReport> {
        migrate::migrate(&self.pool, migrations).await
    }

    /// `schema_status` against other migrations than this build's.
    pub async fn schema_status_with(&self, migrations: &[Migration]) -> StoreResult<SchemaStatus> {
        migrate::status(&self.pool, migrations).await
    }

    /// The pool, for tests that make or inspect databases by hand.
    #[cfg(feature = "testing")]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    error::classify(e)
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

#[async_trait]
impl Maintenance for PgStore {
    async fn migrate(&self) -> StoreResult<MigrationReport> {
        migrate::migrate(&self.pool, MIGRATIONS).await
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        migrate::status(&self.pool, MIGRATIONS).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db)
    }
}

#[async_trait]
impl TenantConfig for PgStore {
    async fn create_tenant(&self, name: &str, plan: Plan, brand: &Brand, now: Timestamp) -> StoreResult<Tenant> {
        tenants::create(&self.pool, name, plan, brand, now).await
    }

    async fn tenant(&self, tenant: TenantId) -> StoreResult<Option<Tenant>> {
        tenants::get(&self.pool, tenant).await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        tenants::all(&self.pool).await
    }

    async fn update_brand(&self, tenant: TenantId, brand: &Brand) -> StoreResult<()> {
        tenants::update_brand(&self.pool, tenant, brand).await
    }

    async fn update_brands(&self, tenant: TenantId, brands: &[OtherBrand]) -> StoreResult<()> {
        tenants::update_brands(&self.pool, tenant, brands).await
    }

    async fn update_billing(&self, tenant: TenantId, billing: &BillingSettings) -> StoreResult<()> {
        tenants::update_billing(&self.pool, tenant, billing).await
    }

    async fn set_open_tracking(&self, tenant: TenantId, on: bool) -> StoreResult<()> {
        tenants::set_open_tracking(&self.pool, tenant, on).await
    }

    async fn change_plan(&self, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
        tenants::change_plan(&self.pool, tenant, plan, at).await
    }

    async fn tenant_mapping(&self, tenant: TenantId) -> StoreResult<Option<String>> {
        tenants::mapping(&self.pool, tenant).await
    }

    async fn set_tenant_mapping(&self, tenant: TenantId, lines: &str, now: Timestamp) -> StoreResult<()> {
        tenants::set_mapping(&self.pool, tenant, lines, now).await
    }

    async fn webhook_secret(&self, tenant: TenantId) -> StoreResult<Option<String>> {
        tenants::webhook_secret(&self.pool, tenant).await
    }

    async fn set_webhook_secret(&self, tenant: TenantId, secret: &str, now: Timestamp) -> StoreResult<()> {
        tenants::set_webhook_secret(&self.pool, tenant, secret, now).await
    }

    async fn add_api_key(
        &self,
        tenant: TenantId,
        key_hash: &str,
        prefix: &str,
        label: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        tenants::add_api_key(&self.pool, tenant, key_hash, prefix, label, now).await
    }

    async fn api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKeyInfo>> {
        tenants::api_keys(&self.pool, tenant).await
    }

    async fn revoke_api_key(&self, tenant: TenantId, key_hash: &str) -> StoreResult<bool> {
        tenants::revoke_api_key(&self.pool, tenant, key_hash).await
    }

    async fn api_key_owner(&self, key_hash: &str) -> StoreResult<Option<avisera_store::ApiKeyOwner>> {
        tenants::by_api_key(&self.pool, key_hash).await
    }

    async fn record_api_key_use(&self, key_hash: &str, at: Timestamp) -> StoreResult<()> {
        tenants::record_api_key_use(&self.pool, key_hash, at).await
    }

    async fn create_template(&self, tenant: TenantId, template: &Template, now: Timestamp) -> StoreResult<TemplateId> {
        tenants::insert_owned(&self.pool, "templates", tenant, template, now)
            .await
            .map(TemplateId)
    }

    async fn update_template(&self, tenant: TenantId, template: &Template, now: Timestamp) -> StoreResult<bool> {
        tenants::update_owned(&self.pool, "templates", tenant, template.id.0, template, now).await
    }

    async fn template(&self, tenant: TenantId, id: TemplateId) -> StoreResult<Option<Template>> {
        tenants::get_owned(&self.pool, "templates", tenant, id.0, |t: &mut Template, id| {
            t.id = TemplateId(id)
        })
        .await
    }

    async fn templates(&self, tenant: TenantId) -> StoreResult<Vec<Template>> {
        tenants::list_owned(&self.pool, "templates", tenant, |t: &mut Template, id| {
            t.id = TemplateId(id)
        })
        .await
    }

    async fn create_rule(&self, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<RuleId> {
        rules::create(&self.pool, tenant, rule, change).await
    }

    async fn update_rule(&self, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<bool> {
        rules::update(&self.pool, tenant, rule, change).await
    }

    async fn rule_history(&self, tenant: TenantId, id: RuleId) -> StoreResult<Vec<RuleChange>> {
        rules::history(&self.pool, tenant, id).await
    }

    async fn rule(&self, tenant: TenantId, id: RuleId) -> StoreResult<Option<Rule>> {
        rules::live(&self.pool, tenant, id).await
    }

    async fn rules(&self, tenant: TenantId) -> StoreResult<Vec<Rule>> {
        rules::all_live(&self.pool, tenant).await
    }

    async fn archive_rule(&self, tenant: TenantId, id: RuleId, change: &RuleChange) -> StoreResult<bool> {
        rules::archive(&self.pool, tenant, id, change).await
    }

    async fn archived_rules(&self, tenant: TenantId) -> StoreResult<Vec<ArchivedRule>> {
        rules::archived(&self.pool, tenant).await
    }
}

#[async_trait]
impl IngestReads for PgStore {
    async fn ingest_context(&self, tenant: TenantId, events: &[CarrierEvent]) -> StoreResult<Option<IngestContext>> {
        ingest::context(&self.pool, tenant, &BatchAddresses::of(events)).await
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn record_events_leasing(
        &self,
        tenant: TenantId,
        events: &[CarrierEvent],
        decide: &Decide<'_>,
        now: Timestamp,
        lease: Option<&Lease<'_>>,
    ) -> StoreResult<StoredBatch> {
        events::record(&self.pool, tenant, events, decide, now, lease).await
    }

    async fn shipment(&self, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>> {
        events::shipment(&self.pool, tenant, tracking_number).await
    }

    async fn shipment_by_id(&self, tenant: TenantId, id: avisera_domain::ShipmentId) -> StoreResult<Option<Shipment>> {
        events::shipment_by_id(&self.pool, tenant, id).await
    }

    async fn shipment_events(&self, tenant: TenantId, tracking_number: &str) -> StoreResult<Vec<StoredEvent>> {
        events::history(&self.pool, tenant, tracking_number).await
    }

    async fn find_shipments(
        &self,
        tenant: TenantId,
        search: &ShipmentSearch,
        limit: u32,
    ) -> StoreResult<Vec<Shipment>> {
        events::find(&self.pool, tenant, search, limit).await
    }

    async fn arrived_events(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        each: &mut (dyn FnMut(avisera_domain::replay::ArrivedEvent) + Send),
    ) -> StoreResult<u64> {
        arrivals::arrived(&self.pool, tenant, from, until, each).await
    }
}

#[async_trait]
impl Outbox for PgStore {
    async fn cancel_waiting(
        &self,
        tenant: TenantId,
        id: NotificationId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        events::cancel_waiting(&self.pool, tenant, id, reason, now).await
    }

    async fn add_notices(&self, tenant: TenantId, notices: &[PlannedNotification], now: Timestamp) -> StoreResult<u32> {
        events::add_notices(&self.pool, tenant, notices, now).await
    }

    async fn add_manual(
        &self,
        tenant: TenantId,
        tracking_number: &str,
        notification: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<Option<NotificationId>> {
        events::add_manual(&self.pool, tenant, tracking_number, notification, now).await
    }

    async fn add_test(
        &self,
        tenant: TenantId,
        notification: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<Option<NotificationId>> {
        events::add_test(&self.pool, tenant, notification, now).await
    }

    async fn claim_due(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        claim::claim_due(&self.pool, worker, now, lease_until, limit).await
    }

    async fn announce_work(&self) -> StoreResult<()> {
        wake::announce(&self.pool).await
    }
    async fn finish_deliveries(
        &self,
        worker: &str,
        finished: &[Finished],
        now: Timestamp,
    ) -> StoreResult<Vec<NotificationId>> {
        delivery::finish(&self.pool, worker, finished, now).await
    }

    async fn reserve_sms_batch(
        &self,
        tenant: TenantId,
        worker: &str,
        wants: &[(NotificationId, Charge)],
        budget: Ore,
        month: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<Vec<Reservation>> {
        budget::reserve_sms(&self.pool, tenant, worker, wants, budget, month, now).await
    }

    async fn switch_to_email(
        &self,
        tenant: TenantId,
        id: NotificationId,
        worker: &str,
        reason: &str,
        email: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<bool> {
        budget::switch_to_email(&self.pool, tenant, id, worker, reason, email, now).await
    }

    async fn count_scheduled(&self) -> StoreResult<u64> {
        delivery::count_scheduled(&self.pool).await
    }
}

#[async_trait]
impl Suppressions for PgStore {
    async fn opt_out(&self, tenant: TenantId, address: &str, at: Timestamp) -> StoreResult<()> {
        delivery::opt_out(&self.pool, tenant, address, at).await
    }

    async fn opted_out(&self, tenant: TenantId, address: &str) -> StoreResult<Option<Timestamp>> {
        delivery::opted_out(&self.pool, tenant, address).await
    }
    async fn opted_out_among(&self, tenant: TenantId, addresses: &[&str]) -> StoreResult<HashMap<String, Timestamp>> {
        delivery::opted_out_among(&self.pool, tenant, addresses).await
    }
}

#[async_trait]
impl Ratings for PgStore {
    async fn save_rating(&self, tenant: TenantId, rating: &avisera_domain::rating::Rating) -> StoreResult<()> {
        error::retrying(|| ratings::save(&self.pool, tenant, rating)).await
    }

    async fn rating(
        &self,
        tenant: TenantId,
        shipment: avisera_domain::ShipmentId,
    ) -> StoreResult<Option<avisera_domain::rating::Rating>> {
        ratings::one(&self.pool, tenant, shipment).await
    }

    async fn ratings(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<avisera_domain::rating::Rating>> {
        ratings::between(&self.pool, tenant, from, until, limit).await
    }
}

#[async_trait]
impl Receivers for PgStore {
    async fn receiver_by_token(&self, token: &ReceiverToken) -> StoreResult<Option<(TenantId, Receiver)>> {
        receivers::by_token(&self.pool, token).await
    }

    async fn receiver_of(&self, tenant: TenantId, address: &str) -> StoreResult<Option<Receiver>> {
        receivers::of_address(&self.pool, tenant, address).await
    }

    async fn opt_out_receiver(&self, tenant: TenantId, id: ReceiverId, at: Timestamp) -> StoreResult<bool> {
        error::retrying(|| receivers::opt_out(&self.pool, tenant, id, at)).await
    }

    async fn opt_back_in(&self, tenant: TenantId, id: ReceiverId) -> StoreResult<bool> {
        error::retrying(|| receivers::opt_back_in(&self.pool, tenant, id)).await
    }

    async fn set_preferences(
        &self,
        tenant: TenantId,
        id: ReceiverId,
        reach: Reach,
        language: Option<&str>,
    ) -> StoreResult<bool> {
        receivers::set_preferences(&self.pool, tenant, id, reach, language).await
    }

    async fn reach_among(&self, tenant: TenantId, addresses: &[&str]) -> StoreResult<HashMap<String, Reach>> {
        receivers::reach_among(&self.pool, tenant, addresses).await
    }
}

#[async_trait]
impl SendReads for PgStore {
    async fn send_context(
        &self,
        tenant: TenantId,
        opt_out_keys: &[&str],
        addresses: &[&str],
    ) -> StoreResult<SendContext> {
        send::context(&self.pool, tenant, opt_out_keys, addresses).await
    }
}

#[async_trait]
impl NotificationLog for PgStore {
    async fn dedupe_keys(
        &self,
        tenant: TenantId,
        ids: &[NotificationId],
    ) -> StoreResult<std::collections::HashMap<NotificationId, String>> {
        notifications::dedupe_keys(&self.pool, tenant, ids).await
    }

    async fn notifications(
        &self,
        tenant: TenantId,
        filter: &NotificationFilter,
    ) -> StoreResult<Vec<NotificationRecord>> {
        notifications::list(&self.pool, tenant, filter).await
    }

    async fn notification(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<NotificationRecord>> {
        notifications::get(&self.pool, tenant, id).await
    }

    async fn notification_history(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Vec<StatusChange>> {
        notifications::history(&self.pool, tenant, id).await
    }

    async fn notification_facts(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<NotificationFact>> {
        notifications::facts(&self.pool, tenant, from, to).await
    }
}

#[async_trait]
impl Usage for PgStore {
    async fn billed(&self, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Billed>> {
        delivery::billed(&self.pool, tenant, from, to).await
    }

    async fn sms_spend(&self, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Ore> {
        delivery::sms_spend(&self.pool, tenant, from, to).await
    }

    async fn plan_periods(&self, tenant: TenantId) -> StoreResult<Vec<PlanPeriod>> {
        tenants::plan_periods(&self.pool, tenant).await
    }
}

#[async_trait]
impl Portal for PgStore {
    async fn create_user(&self, tenant: TenantId, user: &NewUser, now: Timestamp) -> StoreResult<UserId> {
        users::create(&self.pool, tenant, user, now).await
    }

    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>> {
        users::list(&self.pool, tenant).await
    }

    async fn delete_user(&self, tenant: TenantId, id: UserId) -> StoreResult<bool> {
        users::delete(&self.pool, tenant, id).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>> {
        users::by_email(&self.pool, email).await
    }

    async fn user(&self, tenant: TenantId, id: UserId) -> StoreResult<Option<User>> {
        users::get(&self.pool, tenant, id).await
    }

    async fn set_user_phone(
        &self,
        tenant: TenantId,
        id: UserId,
        phone: Option<&avisera_domain::contact::PhoneNumber>,
    ) -> StoreResult<bool> {
        users::set_phone(&self.pool, tenant, id, phone).await
    }

    async fn create_session(&self, session: &Session, now: Timestamp) -> StoreResult<()> {
        users::create_session(&self.pool, session, now).await
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        users::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        users::delete_session(&self.pool, token_hash).await
    }

    async fn add_logo(&self, tenant: TenantId, kind: LogoKind, bytes: &[u8], now: Timestamp) -> StoreResult<LogoId> {
        logos::add(&self.pool, tenant, kind, bytes, now).await
    }

    async fn logos(&self, tenant: TenantId) -> StoreResult<Vec<Logo>> {
        logos::list(&self.pool, tenant).await
    }

    async fn logo(&self, tenant: TenantId, id: LogoId) -> StoreResult<Option<Logo>> {
        logos::get(&self.pool, tenant, id).await
    }

    async fn delete_logo(&self, tenant: TenantId, id: LogoId) -> StoreResult<bool> {
        logos::delete(&self.pool, tenant, id).await
    }
}

#[async_trait]
impl RateLimits for PgStore {
    async fn set_tenant_rate(&self, tenant: TenantId, rate: Option<Rate>) -> StoreResult<()> {
        claim::set_tenant_rate(&self.pool, tenant, rate).await
    }

    async fn tenant_rate(&self, tenant: TenantId) -> StoreResult<Option<Rate>> {
        claim::tenant_rate(&self.pool, tenant).await
    }

    async fn claim_within(
        &self,
        limits: &SendLimits,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        claim::claim_within(&self.pool, limits, worker, now, lease_until, limit).await
    }

    async fn count_held(&self, limits: &SendLimits, now: Timestamp) -> StoreResult<u64> {
        claim::count_held(&self.pool, limits, now).await
    }
}

#[async_trait]
impl Receipts for PgStore {
    async fn receipt_targets(
        &self,
        channel: avisera_domain::notification::Channel,
        key: &ReceiptKey,
    ) -> StoreResult<Vec<ReceiptTarget>> {
        receipts::targets(&self.pool, channel, key).await
    }

    async fn record_receipt(
        &self,
        tenant: TenantId,
        id: NotificationId,
        from: (avisera_domain::notification::Status, Option<&str>),
        change: &StatusChange,
        now: Timestamp,
    ) -> StoreResult<bool> {
        receipts::record(&self.pool, tenant, id, from, change, now).await
    }

    async fn suppress(&self, tenant: TenantId, address: &str, reason: &str, at: Timestamp) -> StoreResult<()> {
        receipts::suppress(&self.pool, tenant, address, reason, at).await
    }

    async fn suppressions(&self, tenant: TenantId, limit: u32) -> StoreResult<Vec<Suppression>> {
        receipts::list(&self.pool, tenant, limit).await
    }

    async fn remove_suppression(&self, tenant: TenantId, address: &str) -> StoreResult<bool> {
        receipts::remove(&self.pool, tenant, address).await
    }
}

#[async_trait]
impl Engagement for PgStore {
    async fn shipment_notification_keys(
        &self,
        tenant: TenantId,
        shipment: avisera_domain::ShipmentId,
        limit: u32,
    ) -> StoreResult<Vec<(NotificationId, String)>> {
        stats::shipment_keys(&self.pool, tenant, shipment, limit).await
    }

    async fn record_link_visit(&self, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool> {
        stats::record_link_visit(&self.pool, tenant, id, at).await
    }

    async fn link_visits(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
        stats::link_visits(&self.pool, tenant, id).await
    }

    async fn record_page_view(
        &self,
        tenant: TenantId,
        shipment: avisera_domain::ShipmentId,
        at: Timestamp,
    ) -> StoreResult<bool> {
        stats::record_page_view(&self.pool, tenant, shipment, at).await
    }

    async fn page_views(&self, tenant: TenantId, shipment: avisera_domain::ShipmentId) -> StoreResult<Option<Visits>> {
        stats::page_views(&self.pool, tenant, shipment).await
    }

    async fn record_open(&self, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool> {
        stats::record_open(&self.pool, tenant, id, at).await
    }

    async fn opens(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
        stats::opens(&self.pool, tenant, id).await
    }

    async fn sent_tallies(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        by: Option<avisera_domain::stats::Group>,
        zone: &str,
    ) -> StoreResult<Vec<avisera_domain::stats::Tally>> {
        stats::sent_tallies(&self.pool, tenant, (from, until), by, zone).await
    }

    async fn suppressed_count(&self, tenant: TenantId) -> StoreResult<u64> {
        stats::suppressed_count(&self.pool, tenant).await
    }
}

#[async_trait]
impl avisera_store::SignUps for PgStore {
    async fn add_signup(
        &self,
        token_hash: &str,
        signup: &avisera_domain::signup::SignUp,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        signups::add(&self.pool, token_hash, signup, password_hash, now).await
    }

    async fn pending_signup(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<avisera_domain::signup::SignUp>> {
        signups::pending(&self.pool, token_hash, now).await
    }

    async fn confirm_signup(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(TenantId, UserId)>> {
        signups::confirm(&self.pool, token_hash, now).await
    }

    async fn organisation_tenant(
        &self,
        organisation: &avisera_domain::organisation::OrganisationNumber,
    ) -> StoreResult<Option<TenantId>> {
        signups::registered(&self.pool, organisation).await
    }
}

#[async_trait]
impl avisera_store::PlanRequests for PgStore {
    async fn set_plan_request(
        &self,
        tenant: TenantId,
        request: Option<&avisera_domain::plan::PlanRequest>,
    ) -> StoreResult<()> {
        plan_requests::set(&self.pool, tenant, request).await
    }

    async fn plan_request(&self, tenant: TenantId) -> StoreResult<Option<avisera_domain::plan::PlanRequest>> {
        plan_requests::get(&self.pool, tenant).await
    }

    async fn due_plan_requests(
        &self,
        now: Timestamp,
    ) -> StoreResult<Vec<(TenantId, avisera_domain::plan::PlanRequest)>> {
        plan_requests::due(&self.pool, now).await
    }

    async fn clear_plan_request(
        &self,
        tenant: TenantId,
        request: &avisera_domain::plan::PlanRequest,
    ) -> StoreResult<()> {
        plan_requests::clear(&self.pool, tenant, request).await
    }
}

#[async_trait]
impl avisera_store::Accounts for PgStore {
    async fn set_password(&self, tenant: TenantId, user: UserId, password_hash: &str) -> StoreResult<bool> {
        accounts::set_password(&self.pool, tenant, user, password_hash).await
    }

    async fn set_role(&self, tenant: TenantId, user: UserId, role: avisera_domain::user::Role) -> StoreResult<bool> {
        accounts::set_role(&self.pool, tenant, user, role).await
    }

    async fn add_password_reset(
        &self,
        token_hash: &str,
        tenant: TenantId,
        user: UserId,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<()> {
        accounts::add_reset(&self.pool, token_hash, tenant, user, expires_at, now).await
    }

    async fn password_reset(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<avisera_domain::user::User>> {
        accounts::reset(&self.pool, token_hash, now).await
    }

    async fn use_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<avisera_domain::user::User>> {
        accounts::use_reset(&self.pool, token_hash, password_hash, now).await
    }
}

#[async_trait]
impl avisera_store::Privacy for PgStore {
    async fn erase_person(
        &self,
        tenant: TenantId,
        subject: &avisera_domain::privacy::Subject,
        pseudonym: &Pseudonym<'_>,
        now: Timestamp,
    ) -> StoreResult<avisera_domain::privacy::Erased> {
        error::retrying(|| privacy::erase_person(&self.pool, tenant, subject, pseudonym, now)).await
    }

    async fn erase_ended(
        &self,
        tenant: TenantId,
        ended_before: Timestamp,
        limit: u32,
        pseudonym: &Pseudonym<'_>,
        now: Timestamp,
    ) -> StoreResult<avisera_domain::privacy::Erased> {
        error::retrying(|| privacy::erase_ended(&self.pool, tenant, ended_before, limit, pseudonym, now)).await
    }

    async fn shipments_of_person(
        &self,
        tenant: TenantId,
        subject: &avisera_domain::privacy::Subject,
    ) -> StoreResult<Vec<Shipment>> {
        privacy::shipments_of_person(&self.pool, tenant, subject).await
    }
}
