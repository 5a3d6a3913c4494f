//! Typed ids, so a rule id can never be passed where a template id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// One business customer; every stored row belongs to exactly one.
    TenantId
);
id_type!(RuleId);
id_type!(TemplateId);
id_type!(ShipmentId);
id_type!(NotificationId);
id_type!(
    /// A person who signs in to the portal.
    UserId
);
id_type!(LogoId);
id_type!(
    /// One of a tenant's brands besides its default one (`tenant::OtherBrand`).
    BrandId
);
id_type!(
    /// The person behind a shipment's phone and email, within one tenant (`receiver`).
    ReceiverId
);
