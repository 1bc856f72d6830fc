//! [`ReferralLink`]: a partner's or customer's referral URL.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A list of referral links given as objects or as plain URL strings.
pub(crate) fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ReferralLink>, D::Error> {
    let Value::Array(items) = Value::deserialize(d)? else {
        return Ok(Vec::new());
    };
    Ok(items
        .into_iter()
        .filter_map(|item| match item {
            Value::String(url) => Some(ReferralLink {
                url: Some(url),
                ..ReferralLink::default()
            }),
            other @ Value::Object(_) => serde_json::from_value(other).ok(),
            _ => None,
        })
        .collect())
}

/// A referral link (Partnero sends either objects or plain URLs; both decode).
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
    /// Whether this is an additional link.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_additional: Option<bool>,
    /// The link's domain id.
    #[serde(deserialize_with = "lenient::opt_u64")]
    pub domain_id: Option<u64>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "list")]
        links: Vec<ReferralLink>,
    }

    #[test]
    fn strings_and_objects() {
        let h: Holder = serde_json::from_str(
            r#"{"links":["https://a/?ref=x",{"url":"https://b","key":"k"},3]}"#,
        )
        .unwrap();
        assert_eq!(h.links.len(), 2);
        assert_eq!(h.links[0].url.as_deref(), Some("https://a/?ref=x"));
        assert_eq!(h.links[1].key.as_deref(), Some("k"));
    }
}
