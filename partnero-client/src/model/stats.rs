//! [`CustomerStats`]: a refer-a-friend customer's clicks, referrals and share links.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// `GET /customers/{key}/stats`. Counters that are missing or not numbers are `None`; the
/// whole answer stays available in `extra`-style fields for anything not modelled.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CustomerStats {
    /// Clicks on the customer's referral links.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub clicks: Option<u64>,
    /// Customers referred.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub referrals: Option<u64>,
    /// Fields this version of the client does not model (share links, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
