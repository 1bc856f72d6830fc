//! The context every request handler shares.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::config::{ProgramKind, SandboxConfig};
use crate::faults::Faults;
use crate::state::SharedStore;
use crate::stats::Stats;
use crate::webhook_delivery::Deliveries;

/// Shared, immutable-after-start context of the HTTP handlers.
#[derive(Debug)]
pub(crate) struct AppInner {
    /// The stored data.
    pub(crate) store: SharedStore,
    /// `http://127.0.0.1:PORT`, the origin used in `links` and `meta.path`.
    pub(crate) origin: String,
    /// API key -> program kind.
    pub(crate) keys: HashMap<String, ProgramKind>,
    /// Commission in percent of `amount`.
    pub(crate) commission_percent: Decimal,
    /// Landing page of referral links.
    pub(crate) referral_link_base: String,
    /// Largest accepted body in bytes.
    pub(crate) body_limit: usize,
    /// Whether `GET /v1/test` names the program's type.
    pub(crate) test_names_program: bool,
    /// Fault controls.
    pub(crate) faults: Faults,
    /// Request counters.
    pub(crate) stats: Arc<Stats>,
    /// Webhook deliveries.
    pub(crate) deliveries: Deliveries,
}

/// Cheaply clonable handler state.
pub(crate) type AppState = Arc<AppInner>;

impl AppInner {
    pub(crate) fn new(
        config: &SandboxConfig,
        store: SharedStore,
        origin: String,
        faults: Faults,
        stats: Arc<Stats>,
        deliveries: Deliveries,
    ) -> Self {
        AppInner {
            store,
            origin,
            keys: config.keys.iter().cloned().collect(),
            commission_percent: config.commission_percent,
            referral_link_base: config.referral_link_base.clone(),
            body_limit: config.body_limit,
            test_names_program: config.test_names_program,
            faults,
            stats,
            deliveries,
        }
    }

    /// A referral link on the configured landing page: `<base>?<param>=<key>`.
    pub(crate) fn referral_link(&self, param: &str, key: &str) -> String {
        let encoded = percent_encoding::utf8_percent_encode(key, crate::query::COMPONENT);
        let sep = if self.referral_link_base.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}{param}={encoded}", self.referral_link_base)
    }
}
