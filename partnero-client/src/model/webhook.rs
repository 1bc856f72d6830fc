//! Webhooks: [`Webhook`] (response), [`NewWebhook`], [`WebhookUpdate`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// A webhook subscription as Partnero returns it.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Webhook {
    /// The webhook's key (used in `/webhooks/{key}` paths).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub key: Option<String>,
    /// Display name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// The URL deliveries are POSTed to.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub url: Option<String>,
    /// Subscribed event names (open strings: `customer.created`, `transaction.created`, ...).
    #[serde(deserialize_with = "lenient::string_list")]
    pub events: Vec<String>,
    /// Whether deliveries are sent.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_active: Option<bool>,
    /// The signing secret for the `Signature` header of deliveries. Not shown by `Debug`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub signature: Option<String>,
    /// Creation time, ISO-8601 as sent.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Fields this version of the client does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("key", &self.key)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("is_active", &self.is_active)
            .field("signature", &self.signature.as_ref().map(|_| "REDACTED"))
            .field("created_at", &self.created_at)
            .field("extra", &self.extra)
            .finish()
    }
}

/// The body of `POST /webhooks`.
///
/// ```
/// use partnero_client::NewWebhook;
///
/// let hook = NewWebhook::new("orders", "https://shop.example/hooks/partnero")
///     .event("transaction.created");
/// let json = serde_json::to_value(&hook).unwrap();
/// assert_eq!(json["events"][0], "transaction.created");
/// assert_eq!(json["is_active"], true);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewWebhook {
    /// Display name.
    pub name: String,
    /// Delivery URL.
    pub url: String,
    /// Event names.
    #[serde(default)]
    pub events: Vec<String>,
    /// Whether deliveries are sent (default `true`).
    pub is_active: bool,
}

impl NewWebhook {
    /// An active webhook with no events yet.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            events: Vec::new(),
            is_active: true,
        }
    }

    /// Subscribes to an event.
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.events.push(event.into());
        self
    }

    /// Sets whether deliveries are sent.
    #[must_use]
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = active;
        self
    }
}

/// The fields of `PUT /webhooks/{key}`; unset fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookUpdate {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// New URL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    /// New event list (replaces it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub events: Option<Vec<String>>,
    /// Activate or deactivate.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_active: Option<bool>,
}

impl WebhookUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Changes the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Changes the URL.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Replaces the events.
    #[must_use]
    pub fn events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.events = Some(events.into_iter().map(Into::into).collect());
        self
    }

    /// Activates or deactivates.
    #[must_use]
    pub fn active(mut self, active: bool) -> Self {
        self.is_active = Some(active);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let w: Webhook =
            serde_json::from_str(r#"{"key":"w1","signature":"whsec_topsecret","is_active":1}"#)
                .unwrap();
        assert_eq!(w.is_active, Some(true));
        let dbg = format!("{w:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
    }
}
