//! [`ReferralLink`]: a partner's or customer's referral URL.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A referral link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReferralLink {
    /// The link's id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// The link's key (the value of the referral parameter).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    /// The full URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// Whether this is the default link.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_default: Option<bool>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
