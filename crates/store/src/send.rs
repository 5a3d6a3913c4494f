//! What the delivery worker reads before sending a batch of one tenant's messages
//! (`SendReads::send_context`): the opt-outs and the receivers' chosen channels, in one read.

use avisera_domain::Timestamp;
use avisera_domain::receiver::Reach;
use std::collections::HashMap;

/// What the worker checks again, just before sending, for a batch's recipients of one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendContext {
    /// `Suppressions::opted_out_among` of the keys asked (addresses and their keyed hashes):
    /// when each opted out, keyed in lower case.
    pub opted_out: HashMap<String, Timestamp>,
    /// `Receivers::reach_among` of the addresses asked: the channels chosen by receivers who
    /// chose fewer than both, keyed in lower case.
    pub reach: HashMap<String, Reach>,
}
