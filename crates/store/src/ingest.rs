//! What ingest reads before a batch's transaction (`IngestReads::ingest_context`): the tenant's
//! configuration and only the suppressions the batch can meet, in one read.

use avisera_domain::event::CarrierEvent;
use avisera_domain::receipt::Suppressed;
use avisera_domain::rule::{Recipient, Rule};
use avisera_domain::template::Template;
use avisera_domain::tenant::Tenant;
use std::collections::BTreeSet;

/// What ingest needs to decide a batch of one tenant's events.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestContext {
    pub tenant: Tenant,
    /// The live rules, oldest first (`TenantConfig::rules`).
    pub rules: Vec<Rule>,
    /// `TenantConfig::templates`.
    pub templates: Vec<Template>,
    /// The tenant's own mapping lines, if it has any (`TenantConfig::tenant_mapping`).
    pub mapping: Option<String>,
    /// The addresses that hard-bounced or complained (a suppression with a reason), with the
    /// reason, keyed in lower case as the planner looks them up: only those among the batch's
    /// receivers (`BatchAddresses`) and the tenant's staff (`staff_emails`), so a tenant with
    /// many bounces costs no more per batch than one with none.
    pub bounced: Suppressed,
}

/// Where the planner may send an email for a batch besides the tenant's staff, in lower case:
/// the receiver emails the events carry, and the tracking numbers whose stored shipments may
/// hold one the events do not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchAddresses {
    pub emails: Vec<String>,
    pub tracking_numbers: Vec<String>,
}

impl BatchAddresses {
    /// Only emails: the planner looks suppressions up for the email channel alone (an SMS
    /// opt-out is honoured when sending).
    pub fn of(events: &[CarrierEvent]) -> Self {
        let emails: BTreeSet<String> = events
            .iter()
            .filter_map(|e| e.details.receiver_email.as_deref())
            .map(|raw| raw.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        let tracking_numbers: BTreeSet<String> = events.iter().map(|e| e.tracking_number.clone()).collect();
        BatchAddresses {
            emails: emails.into_iter().collect(),
            tracking_numbers: tracking_numbers.into_iter().collect(),
        }
    }
}

/// The emails of the tenant's own people that its live rules may send to, in lower case: every
/// brand's customer-service address and the rules' fixed recipients (what the planner sends to
/// besides receivers).
pub fn staff_emails(tenant: &Tenant, rules: &[Rule]) -> BTreeSet<String> {
    let brands = std::iter::once(&tenant.brand).chain(tenant.brands.iter().map(|b| &b.brand));
    let service = brands.filter_map(|b| b.customer_service_email.as_ref().map(|e| e.as_str().to_string()));
    let fixed = rules.iter().flat_map(|r| match &r.recipient {
        Recipient::Fixed { addresses } => addresses.iter().filter(|a| a.contains('@')).cloned().collect(),
        Recipient::Receiver | Recipient::CustomerService => Vec::new(),
    });
    service.chain(fixed).map(|a| a.trim().to_lowercase()).collect()
}
