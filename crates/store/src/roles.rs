//! The store's roles: each trait is what one kind of caller needs, so a node that only
//! delivers or only takes events depends on what it uses. Every call that touches a tenant's
//! data takes the `TenantId` first; the only calls not scoped by tenant are authentication
//! (`tenant_by_api_key`, `user_by_email`, `session`) and the worker's claim of due jobs, which
//! returns each job's tenant for every later call.

use crate::*;
use async_trait::async_trait;
use avisera_domain::billing::{Billed, Charge, PlanPeriod};
use avisera_domain::contact::PhoneNumber;
use avisera_domain::event::CarrierEvent;
use avisera_domain::logo::LogoKind;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Status};
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::rating::Rating;
use avisera_domain::receiver::{Reach, Receiver, ReceiverId, ReceiverToken};
use avisera_domain::replay::ArrivedEvent;
use avisera_domain::rule::Rule;
use avisera_domain::shipment::Shipment;
use avisera_domain::template::Template;
use avisera_domain::tenant::{BillingSettings, Brand, OtherBrand, Tenant};
use avisera_domain::user::User;
use avisera_domain::{LogoId, NotificationId, RuleId, ShipmentId, TemplateId, TenantId, Timestamp, UserId};

/// Starting a node: the schema and whether the database answers.
#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Applies the migrations the database lacks, each in its own transaction, and adopts a
    /// database made before versioned migrations. Safe to run from several nodes at once.
    async fn migrate(&self) -> StoreResult<MigrationReport>;
    /// Where the schema stands; only `migrate` changes it, every other command checks this.
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
    async fn ping(&self) -> StoreResult<()>;
}

/// Tenants and what they configure: plan, brand, billing settings, API keys, webhook secrets,
/// the code mapping, templates and rules with their history.
#[async_trait]
pub trait TenantConfig: Send + Sync {
    async fn create_tenant(&self, name: &str, plan: Plan, brand: &Brand, now: Timestamp) -> StoreResult<Tenant>;
    async fn tenant(&self, tenant: TenantId) -> StoreResult<Option<Tenant>>;
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;
    async fn update_brand(&self, tenant: TenantId, brand: &Brand) -> StoreResult<()>;
    /// Replaces the tenant's brands besides the default one (`Tenant::brands`).
    async fn update_brands(&self, tenant: TenantId, brands: &[OtherBrand]) -> StoreResult<()>;
    async fn update_billing(&self, tenant: TenantId, billing: &BillingSettings) -> StoreResult<()>;
    /// Switches the open-tracking image in the tenant's emails on or off (`Tenant::open_tracking`).
    async fn set_open_tracking(&self, tenant: TenantId, on: bool) -> StoreResult<()>;
    /// Puts the tenant on `plan` from `at`, keeping the history the bill needs.
    async fn change_plan(&self, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()>;
    /// The tenant's own mapping lines (the mapping file format), if it has any.
    async fn tenant_mapping(&self, tenant: TenantId) -> StoreResult<Option<String>>;
    async fn set_tenant_mapping(&self, tenant: TenantId, lines: &str, now: Timestamp) -> StoreResult<()>;
    /// The secret that signs the tenant's carrier webhooks, if one is set.
    async fn webhook_secret(&self, tenant: TenantId) -> StoreResult<Option<String>>;
    /// Sets (or rotates: replaces) the webhook secret.
    async fn set_webhook_secret(&self, tenant: TenantId, secret: &str, now: Timestamp) -> StoreResult<()>;
    /// Keeps a key's hash, its first characters (`prefix`, shown to tell keys apart) and label.
    async fn add_api_key(
        &self,
        tenant: TenantId,
        key_hash: &str,
        prefix: &str,
        label: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Authentication: which tenant owns the key with this hash, and the key's label.
    async fn tenant_by_api_key(&self, key_hash: &str) -> StoreResult<Option<(TenantId, String)>> {
        Ok(self.api_key_owner(key_hash).await?.map(|o| (o.tenant, o.label)))
    }
    /// Authentication with what a caller needs to decide whether to record the use: the
    /// key's tenant, label and last recorded use.
    async fn api_key_owner(&self, key_hash: &str) -> StoreResult<Option<ApiKeyOwner>>;
    /// Records that the key with this hash was used at `at`; a later use already recorded
    /// stays (nodes may record out of order).
    async fn record_api_key_use(&self, key_hash: &str, at: Timestamp) -> StoreResult<()>;
    /// The tenant's API keys, newest first (never the keys themselves).
    async fn api_keys(&self, tenant: TenantId) -> StoreResult<Vec<ApiKeyInfo>>;
    /// Removes the tenant's key with this hash at once; false when it has none such.
    async fn revoke_api_key(&self, tenant: TenantId, key_hash: &str) -> StoreResult<bool>;
    async fn create_template(&self, tenant: TenantId, template: &Template, now: Timestamp) -> StoreResult<TemplateId>;
    /// False when the tenant has no such template.
    async fn update_template(&self, tenant: TenantId, template: &Template, now: Timestamp) -> StoreResult<bool>;
    async fn template(&self, tenant: TenantId, id: TemplateId) -> StoreResult<Option<Template>>;
    async fn templates(&self, tenant: TenantId) -> StoreResult<Vec<Template>>;
    /// Creates a rule and records `change` in its history, together.
    async fn create_rule(&self, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<RuleId>;
    /// Replaces a rule and records `change` in its history, together. False when the tenant
    /// has no such rule.
    async fn update_rule(&self, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<bool>;
    /// The rule's history, oldest first.
    async fn rule_history(&self, tenant: TenantId, id: RuleId) -> StoreResult<Vec<RuleChange>>;
    /// A live rule (an archived one is gone here).
    async fn rule(&self, tenant: TenantId, id: RuleId) -> StoreResult<Option<Rule>>;
    /// The live rules, oldest first.
    async fn rules(&self, tenant: TenantId) -> StoreResult<Vec<Rule>>;
    /// Archives a live rule (how a rule is deleted): it is disabled and leaves `rule` and
    /// `rules`, and `change` is recorded in its history, together. False when the tenant has
    /// no such live rule.
    async fn archive_rule(&self, tenant: TenantId, id: RuleId, change: &RuleChange) -> StoreResult<bool>;
    /// The tenant's archived rules, the latest archived first.
    async fn archived_rules(&self, tenant: TenantId) -> StoreResult<Vec<ArchivedRule>>;
}

/// What ingest reads before a batch's transaction.
#[async_trait]
pub trait IngestReads: Send + Sync {
    /// What ingest needs to decide the tenant's `events`, in one read (where the database is
    /// across a network, each round trip costs more than its statement): the tenant, its live
    /// rules, its templates, its own mapping lines, and the bounces the batch can meet
    /// (`IngestContext::bounced`), not every one of the tenant's. `None` when the tenant does
    /// not exist.
    async fn ingest_context(&self, tenant: TenantId, events: &[CarrierEvent]) -> StoreResult<Option<IngestContext>>;
}

/// Events and the shipments they build: ingest's one transaction, and reading shipments back.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores a batch of events in one transaction: each event once (a duplicate is reported
    /// and changes nothing), its shipment's new state, and every notification `decide` asks
    /// for, each at most once by its dedupe key.
    async fn record_events(
        &self,
        tenant: TenantId,
        events: &[CarrierEvent],
        decide: &Decide<'_>,
        now: Timestamp,
    ) -> StoreResult<Vec<EventOutcome>> {
        Ok(self
            .record_events_leasing(tenant, events, decide, now, None)
            .await?
            .outcomes)
    }
    /// `record_events`, and the batch's notifications due at `now` leased to `lease`'s owner
    /// (all of them, or none when they are more than `lease.most` or the tenant has its own
    /// rate limit, which only a claim applies).
    async fn record_events_leasing(
        &self,
        tenant: TenantId,
        events: &[CarrierEvent],
        decide: &Decide<'_>,
        now: Timestamp,
        lease: Option<&Lease<'_>>,
    ) -> StoreResult<StoredBatch>;
    async fn shipment(&self, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>>;
    async fn shipment_by_id(&self, tenant: TenantId, id: avisera_domain::ShipmentId) -> StoreResult<Option<Shipment>>;
    async fn shipment_events(&self, tenant: TenantId, tracking_number: &str) -> StoreResult<Vec<StoredEvent>>;
    /// Shipments matching a search, newest first, at most `limit`.
    async fn find_shipments(&self, tenant: TenantId, search: &ShipmentSearch, limit: u32)
    -> StoreResult<Vec<Shipment>>;
    /// The tenant's events stored in [`from`, `until`) in arrival order (by when they were
    /// stored, then as stored), after the events stored before `from` of the same shipments
    /// (the state the period's events met). One streamed read hands them to `each` one at a
    /// time, so a long period takes neither a query per event nor all of it in memory.
    /// Returns how many were handed over.
    async fn arrived_events(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        each: &mut (dyn FnMut(ArrivedEvent) + Send),
    ) -> StoreResult<u64>;
}

/// The notifications waiting to be sent: added (the tenant's notices, manual sends), claimed
/// with a lease, budgeted, finished. Events add theirs through `EventStore::record_events`.
/// What the log and the bill show in place of a tracking number for a test of a template.
pub const TEST_LABEL: &str = "TEST";

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Cancels one notification that still waits (status scheduled), with the reason, and
    /// records it in its history, together. False when the tenant has no such notification or
    /// it no longer waits. One a worker is sending right now is cancelled too, as a later
    /// event's cancel is: if the provider takes it anyway, the finish records it as sent.
    async fn cancel_waiting(
        &self,
        tenant: TenantId,
        id: NotificationId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Notifications of the tenant's own (not a shipment's), such as budget warnings; each at
    /// most once by its dedupe key, and never billed. Returns how many were new.
    async fn add_notices(&self, tenant: TenantId, notices: &[PlannedNotification], now: Timestamp) -> StoreResult<u32>;
    /// Adds a notification sent by hand for a shipment, billed like any other. `None` when
    /// the shipment does not exist or the dedupe key was used.
    async fn add_manual(
        &self,
        tenant: TenantId,
        tracking_number: &str,
        notification: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<Option<NotificationId>>;
    /// Adds a test of a template, sent to the portal user who asked: about no shipment, billed
    /// like any message (it costs the provider the same), with `TEST_LABEL` where the log and
    /// the bill show a tracking number. `None` when the dedupe key was used.
    async fn add_test(
        &self,
        tenant: TenantId,
        notification: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<Option<NotificationId>>;
    /// Claims up to `limit` due notifications of any tenant for one worker until `lease_until`.
    /// A claim whose lease ran out (its worker died) can be claimed again. Fair between
    /// tenants: every waiting tenant's earliest due rows come before any tenant's later ones.
    async fn claim_due(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>>;
    /// Records how a claimed delivery went. False when the job is no longer this worker's.
    async fn finish_delivery(
        &self,
        tenant: TenantId,
        id: NotificationId,
        worker: &str,
        outcome: &DeliveryOutcome,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let one = [Finished {
            tenant,
            id,
            outcome: outcome.clone(),
            provider: None,
        }];
        Ok(!self.finish_deliveries(worker, &one, now).await?.is_empty())
    }
    /// Records how a batch of claimed deliveries went, in one transaction (each row checked
    /// against its tenant and this worker's lease). Returns the ones recorded; a job that is no
    /// longer this worker's is left out.
    async fn finish_deliveries(
        &self,
        worker: &str,
        finished: &[Finished],
        now: Timestamp,
    ) -> StoreResult<Vec<NotificationId>>;
    /// Reserves `charge` for a claimed SMS against the tenant's `budget` for `month` (from, to):
    /// what was sent in the month plus what other live claims reserved must still be under the
    /// budget. Atomic across workers and nodes; the reservation lasts until the delivery is
    /// finished or the lease runs out.
    #[allow(clippy::too_many_arguments)]
    async fn reserve_sms(
        &self,
        tenant: TenantId,
        id: NotificationId,
        worker: &str,
        charge: Charge,
        budget: Ore,
        month: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<Reservation> {
        let reserved = self
            .reserve_sms_batch(tenant, worker, &[(id, charge)], budget, month, now)
            .await?;
        Ok(reserved.into_iter().next().unwrap_or(Reservation::Lost))
    }
    /// `reserve_sms` for several of the tenant's claimed SMS at once, in the order given (see
    /// `allot`): one transaction and one look at the month's spending for a worker's batch,
    /// instead of one each. Returns each one's reservation, in the order given.
    async fn reserve_sms_batch(
        &self,
        tenant: TenantId,
        worker: &str,
        wants: &[(NotificationId, Charge)],
        budget: Ore,
        month: (Timestamp, Timestamp),
        now: Timestamp,
    ) -> StoreResult<Vec<Reservation>>;
    /// Cancels a claimed SMS with `reason` and adds `email` in its place (its dedupe key made
    /// from the SMS's), in one transaction. False when the SMS is no longer this worker's.
    async fn switch_to_email(
        &self,
        tenant: TenantId,
        id: NotificationId,
        worker: &str,
        reason: &str,
        email: &PlannedNotification,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// How many notifications wait to be sent (for readiness and metrics).
    async fn count_scheduled(&self) -> StoreResult<u64>;
    /// Tells the workers of other nodes that notifications were stored (PostgreSQL's NOTIFY),
    /// so they claim at once instead of at their next poll. Nothing where every worker shares
    /// one process with the writer (SQLite).
    async fn announce_work(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// Addresses that opted out of a tenant's messages.
#[async_trait]
pub trait Suppressions: Send + Sync {
    /// Records that `address` wants no more messages from the tenant (idempotent).
    async fn opt_out(&self, tenant: TenantId, address: &str, at: Timestamp) -> StoreResult<()>;
    /// When `address` opted out of the tenant's messages, if it did.
    async fn opted_out(&self, tenant: TenantId, address: &str) -> StoreResult<Option<Timestamp>>;
    /// Which of `addresses` opted out of the tenant's messages, and when: one lookup for a
    /// worker's batch. Keyed by the address in lower case (addresses compare case-insensitively).
    async fn opted_out_among(
        &self,
        tenant: TenantId,
        addresses: &[&str],
    ) -> StoreResult<std::collections::HashMap<String, Timestamp>>;
}

/// Receivers, the people behind shipments' addresses: their opt-out and preference pages, and
/// the worker's look at the channels they chose. Ingest binds a batch's receivers inside
/// `EventStore::record_events` (one lookup and at most three writes per batch).
#[async_trait]
pub trait Receivers: Send + Sync {
    /// The receiver a link's token names, of any tenant: the one call here not scoped by
    /// tenant (the link carries only the token); it answers the tenant, and every later call
    /// is scoped by it.
    async fn receiver_by_token(&self, token: &ReceiverToken) -> StoreResult<Option<(TenantId, Receiver)>>;
    /// The receiver `address` belongs to, if any (the first opt-out links name an address).
    async fn receiver_of(&self, tenant: TenantId, address: &str) -> StoreResult<Option<Receiver>>;
    /// Opts the receiver out from `at` (a first opt-out's time stands) and suppresses every
    /// one of its addresses, in one transaction; an address bound to it later is suppressed
    /// by ingest. False when the tenant has no such receiver.
    async fn opt_out_receiver(&self, tenant: TenantId, id: ReceiverId, at: Timestamp) -> StoreResult<bool>;
    /// Undoes the receiver's opt-out: it and its addresses get messages again (a bounce or a
    /// complaint stays suppressed). False when the tenant has no such receiver.
    async fn opt_back_in(&self, tenant: TenantId, id: ReceiverId) -> StoreResult<bool>;
    /// Sets the channels and the language the receiver chose. False when the tenant has no
    /// such receiver.
    async fn set_preferences(
        &self,
        tenant: TenantId,
        id: ReceiverId,
        reach: Reach,
        language: Option<&str>,
    ) -> StoreResult<bool>;
    /// The channels chosen by the receivers of `addresses`, for those who chose fewer than
    /// both: one lookup for a worker's batch. Keyed by the address in lower case.
    async fn reach_among(
        &self,
        tenant: TenantId,
        addresses: &[&str],
    ) -> StoreResult<std::collections::HashMap<String, Reach>>;
}

/// What the delivery worker reads before sending a batch.
#[async_trait]
pub trait SendReads: Suppressions + Receivers {
    /// For one tenant of a batch: which of `opt_out_keys` opted out (`opted_out_among`: the
    /// recipients' addresses and their keyed hashes, which hold an erased receiver's opt-out)
    /// and the channels chosen by the receivers of `addresses` (`reach_among`), in one read
    /// where the database is across a network (each round trip costs more than its
    /// statement). Here the two reads one after another, which is what a store on a local
    /// file does.
    async fn send_context(
        &self,
        tenant: TenantId,
        opt_out_keys: &[&str],
        addresses: &[&str],
    ) -> StoreResult<SendContext> {
        Ok(SendContext {
            opted_out: self.opted_out_among(tenant, opt_out_keys).await?,
            reach: self.reach_among(tenant, addresses).await?,
        })
    }
}

/// Delivery ratings: one per shipment, written by the receiver's rating page and read by the
/// tenant's portal and API.
#[async_trait]
pub trait Ratings: Send + Sync {
    /// Stores the shipment's rating, replacing the one it had: a shipment has one rating.
    async fn save_rating(&self, tenant: TenantId, rating: &Rating) -> StoreResult<()>;
    async fn rating(&self, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Rating>>;
    /// The ratings given in `[from, until)`, newest first, at most `limit`.
    async fn ratings(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Rating>>;
}

/// What became of notifications, for the API, the portal and the follow-up numbers.
#[async_trait]
pub trait NotificationLog: Send + Sync {
    async fn notifications(
        &self,
        tenant: TenantId,
        filter: &NotificationFilter,
    ) -> StoreResult<Vec<NotificationRecord>>;
    async fn notification(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<NotificationRecord>>;
    async fn notification_history(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Vec<StatusChange>>;
    /// The dedupe key each of these notifications was planned with (only the tenant's): a
    /// notification sent by hand says in it who sent it (`avisera_core::manual::sender`).
    async fn dedupe_keys(
        &self,
        tenant: TenantId,
        ids: &[NotificationId],
    ) -> StoreResult<std::collections::HashMap<NotificationId, String>>;
    /// Counts of notifications created in `[from, to)`, per hour, trigger, channel and status.
    async fn notification_facts(
        &self,
        tenant: TenantId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<NotificationFact>>;
}

/// What a tenant used and owes: billed notifications, SMS spend, its plan over time.
#[async_trait]
pub trait Usage: Send + Sync {
    /// Billed notifications sent in [from, to).
    async fn billed(&self, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Billed>>;
    /// The recorded cost of SMS sent in [from, to).
    async fn sms_spend(&self, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Ore>;
    async fn plan_periods(&self, tenant: TenantId) -> StoreResult<Vec<PlanPeriod>>;
}

/// The portal's own data: users, sessions and logos.
#[async_trait]
pub trait Portal: Send + Sync {
    /// Adds a user; a second user with the same email (in any tenant) is a `Conflict`.
    async fn create_user(&self, tenant: TenantId, user: &NewUser, now: Timestamp) -> StoreResult<UserId>;
    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>>;
    async fn delete_user(&self, tenant: TenantId, id: UserId) -> StoreResult<bool>;
    /// For signing in, which starts from an email alone: the user and its password hash.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>>;
    async fn user(&self, tenant: TenantId, id: UserId) -> StoreResult<Option<User>>;
    /// Sets (none: removes) a user's own phone; false when the tenant has no such user.
    async fn set_user_phone(&self, tenant: TenantId, id: UserId, phone: Option<&PhoneNumber>) -> StoreResult<bool>;
    /// Stores a session and forgets the ones that expired before `now`.
    async fn create_session(&self, session: &Session, now: Timestamp) -> StoreResult<()>;
    /// A session that has not expired at `now`, by the hash of its token.
    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn add_logo(&self, tenant: TenantId, kind: LogoKind, bytes: &[u8], now: Timestamp) -> StoreResult<LogoId>;
    /// The tenant's logos, newest first, without their bytes.
    async fn logos(&self, tenant: TenantId) -> StoreResult<Vec<Logo>>;
    async fn logo(&self, tenant: TenantId, id: LogoId) -> StoreResult<Option<Logo>>;
    async fn delete_logo(&self, tenant: TenantId, id: LogoId) -> StoreResult<bool>;
}

/// What providers report after they accepted a message (delivery receipts, bounces,
/// complaints), and the addresses they make a tenant stop sending to. Receipts name no tenant
/// (one provider serves them all), so finding a notification is the one call not scoped by
/// tenant; it answers the tenant with each match, and every later call is scoped by it.
#[async_trait]
pub trait Receipts: Send + Sync {
    /// The notifications on `channel` with this key, of any tenant, at most two: a key is the
    /// provider's id for one message (or the email's Message-ID), so a second match means the
    /// key is ambiguous and no notification may be touched by it.
    async fn receipt_targets(&self, channel: Channel, key: &ReceiptKey) -> StoreResult<Vec<ReceiptTarget>>;
    /// Moves the notification from (`from`, `from_reason`) to `change` and records `change` in
    /// its history, together. False when its status or reason is no longer the one read (a
    /// concurrent receipt): read it again and decide again.
    async fn record_receipt(
        &self,
        tenant: TenantId,
        id: NotificationId,
        from: (Status, Option<&str>),
        change: &StatusChange,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Suppresses `address` for the tenant with `reason`, like an opt-out: every later message
    /// to it is cancelled at sending. The first reason stands (idempotent).
    async fn suppress(&self, tenant: TenantId, address: &str, reason: &str, at: Timestamp) -> StoreResult<()>;
    /// The tenant's suppressed addresses (bounces, complaints and opt-outs), newest first, at
    /// most `limit`.
    async fn suppressions(&self, tenant: TenantId, limit: u32) -> StoreResult<Vec<Suppression>>;
    /// Lifts a suppression (or an opt-out). False when the address was not suppressed.
    async fn remove_suppression(&self, tenant: TenantId, address: &str) -> StoreResult<bool>;
}

/// The keyed hash an opt-out keeps after its address is erased (`privacy::hashed_address` of
/// an HMAC under the installation's secret): the same address always gives the same hash, so
/// the opt-out still holds, and the hash gives no address back.
pub type Pseudonym<'a> = dyn Fn(&str) -> String + Send + Sync + 'a;

/// Personal data (issue 15): erasing a person's from every place the store keeps it, and the
/// retention sweep. Both keep what a bill counts (channel, units, unit price, when sent), so a
/// bill is the same after as before.
#[async_trait]
pub trait Privacy: Send + Sync {
    /// Erases, in one transaction, the personal data of the person `subject` names: every
    /// shipment with one of their addresses (the receiver's addresses, all of them) loses
    /// name, phone, email and attributes, as do its stored events; their notifications lose
    /// recipient, content and the address in their dedupe key and reasons (one still waiting
    /// is cancelled); the receiver and its addresses go; an opt-out or suppression is kept
    /// under the address's `pseudonym`. Erasing nobody changes nothing and counts zeros.
    async fn erase_person(
        &self,
        tenant: TenantId,
        subject: &avisera_domain::privacy::Subject,
        pseudonym: &Pseudonym<'_>,
        now: Timestamp,
    ) -> StoreResult<avisera_domain::privacy::Erased>;
    /// Erases, the same way, up to `limit` of the tenant's shipments whose last event arrived
    /// before `ended_before` and that hold personal data, oldest first: their events and
    /// notifications, and the addresses no other shipment of the tenant still has.
    async fn erase_ended(
        &self,
        tenant: TenantId,
        ended_before: Timestamp,
        limit: u32,
        pseudonym: &Pseudonym<'_>,
        now: Timestamp,
    ) -> StoreResult<avisera_domain::privacy::Erased>;
    /// The tenant's shipments of the person `subject` names (by any of the receiver's
    /// addresses), newest first: what an export starts from.
    async fn shipments_of_person(
        &self,
        tenant: TenantId,
        subject: &avisera_domain::privacy::Subject,
    ) -> StoreResult<Vec<Shipment>>;
}
