//! The in-memory store (one lock over everything) and its read-only snapshot.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::{ProgramKind, SandboxConfig};
use crate::model::{BalanceEntry, Customer, Partner, Transaction, Webhook};
use crate::records::ProgramExtras;
use crate::time::now_iso8601;

/// Units in which commissions are paid.
pub(crate) const COMMISSION_UNITS: &str = "usd";

/// Everything one program (one API key) holds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ProgramData {
    /// The API key.
    pub api_key: String,
    /// The program kind.
    pub kind: ProgramKind,
    /// Public program id as `GET /v1/test` shows it.
    pub pub_id: String,
    /// Program name.
    pub name: String,
    /// Partners, in creation order.
    pub partners: Vec<Partner>,
    /// Customers, in creation order.
    pub customers: Vec<Customer>,
    /// Transactions in creation order, deleted ones included (flagged).
    pub transactions: Vec<Transaction>,
    /// Webhooks, in creation order.
    pub webhooks: Vec<Webhook>,
    /// Archive flags, leads, extra referral links, subscribers, settings.
    pub extras: ProgramExtras,
    #[serde(skip)]
    pub(crate) next_uid: u64,
}

impl ProgramData {
    fn new(api_key: &str, kind: ProgramKind) -> Self {
        let pub_id = format!("sbx{:08x}", fnv1a(api_key.as_bytes()) as u32);
        let name = match kind {
            ProgramKind::Affiliate => "Sandbox affiliate program",
            ProgramKind::ReferAFriend => "Sandbox refer-a-friend program",
            ProgramKind::Newsletter => "Sandbox newsletter program",
        };
        ProgramData {
            api_key: api_key.to_owned(),
            kind,
            pub_id,
            name: name.to_owned(),
            partners: Vec::new(),
            customers: Vec::new(),
            transactions: Vec::new(),
            webhooks: Vec::new(),
            extras: ProgramExtras::default(),
            next_uid: 1,
        }
    }

    pub(crate) fn next_uid(&mut self) -> u64 {
        let uid = self.next_uid;
        self.next_uid += 1;
        uid
    }

    fn seed_demo(&mut self) {
        let now = now_iso8601();
        match self.kind {
            ProgramKind::Affiliate => self.partners.push(Partner {
                id: "demo-partner-id".to_owned(),
                key: "demo-partner".to_owned(),
                email: "demo-partner@example.com".to_owned(),
                name: Some("Demo".to_owned()),
                surname: Some("Partner".to_owned()),
                tags: vec!["demo".to_owned()],
                balance: Decimal::ZERO,
                created_at: now.clone(),
                updated_at: now,
            }),
            ProgramKind::ReferAFriend => {
                let uid = self.next_uid();
                self.customers.push(Customer {
                    uid,
                    key: "demo-referrer".to_owned(),
                    id: Some("demo-referrer".to_owned()),
                    email: Some("demo-referrer@example.com".to_owned()),
                    name: Some("Demo".to_owned()),
                    surname: Some("Referrer".to_owned()),
                    tags: Vec::new(),
                    partner: None,
                    referral_url: None,
                    referred_by: None,
                    date_of_birth: None,
                    balances: Vec::new(),
                    created_at: now.clone(),
                    updated_at: now,
                });
            }
            ProgramKind::Newsletter => self.extras.seed_demo_subscriber(now),
        }
    }

    /// Index of the affiliate partner with this id.
    pub(crate) fn partner_index_by_id(&self, id: &str) -> Option<usize> {
        self.partners.iter().position(|p| p.id == id)
    }

    /// Index of the customer with this key (refer-a-friend: or this private id).
    pub(crate) fn customer_index(&self, key_or_id: &str) -> Option<usize> {
        self.customers
            .iter()
            .position(|c| c.key == key_or_id)
            .or_else(|| match self.kind {
                ProgramKind::ReferAFriend => self
                    .customers
                    .iter()
                    .position(|c| c.id.as_deref() == Some(key_or_id)),
                ProgramKind::Affiliate | ProgramKind::Newsletter => None,
            })
    }

    pub(crate) fn customer_by_uid(&self, uid: u64) -> Option<&Customer> {
        self.customers.iter().find(|c| c.uid == uid)
    }

    /// Index of the latest live (not deleted) transaction with this key.
    pub(crate) fn live_transaction_index(&self, key: &str) -> Option<usize> {
        self.transactions
            .iter()
            .rposition(|t| t.key == key && !t.deleted)
    }
}

/// The whole store: one program per API key.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) programs: BTreeMap<String, ProgramData>,
    keys: Vec<(String, ProgramKind)>,
    seed_demo: bool,
    /// What the webhook feed saw last (cleared with the data).
    pub(crate) feed: crate::change_feed::ChangeFeed,
}

impl Store {
    pub(crate) fn new(config: &SandboxConfig) -> Self {
        let mut store = Store {
            programs: BTreeMap::new(),
            keys: config.keys.clone(),
            seed_demo: config.seed_demo,
            feed: Default::default(),
        };
        store.clear();
        store
    }

    /// Forgets all data (and re-seeds the demo data when configured).
    pub(crate) fn clear(&mut self) {
        self.programs.clear();
        self.feed.clear();
        for (key, kind) in &self.keys {
            let mut program = ProgramData::new(key, *kind);
            if self.seed_demo {
                program.seed_demo();
            }
            self.programs.insert(key.clone(), program);
        }
    }
}

/// The store as shared between the server and the handle.
pub(crate) type SharedStore = Arc<Mutex<Store>>;

/// Locks the store, recovering from a poisoned lock (the data stays usable).
pub(crate) fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// A read-only snapshot of everything the sandbox stores, taken by
/// [`Sandbox::state`](crate::Sandbox::state).
///
/// Accessors take the API key of the program; an unknown key reads as an
/// empty program.
#[derive(Debug, Clone, Serialize)]
pub struct StateView {
    programs: BTreeMap<String, ProgramData>,
}

impl StateView {
    pub(crate) fn capture(store: &Store) -> Self {
        StateView {
            programs: store.programs.clone(),
        }
    }

    /// The whole program of `api_key`.
    pub fn program(&self, api_key: &str) -> Option<&ProgramData> {
        self.programs.get(api_key)
    }

    /// All programs, by API key.
    pub fn programs(&self) -> impl Iterator<Item = &ProgramData> {
        self.programs.values()
    }

    /// Partners of the program, in creation order.
    pub fn partners(&self, api_key: &str) -> &[Partner] {
        self.program(api_key).map_or(&[], |p| &p.partners)
    }

    /// The partner with this referral key.
    pub fn partner_by_key(&self, api_key: &str, key: &str) -> Option<&Partner> {
        self.partners(api_key).iter().find(|p| p.key == key)
    }

    /// The partner with this id.
    pub fn partner_by_id(&self, api_key: &str, id: &str) -> Option<&Partner> {
        self.partners(api_key).iter().find(|p| p.id == id)
    }

    /// Customers of the program, in creation order.
    pub fn customers(&self, api_key: &str) -> &[Customer] {
        self.program(api_key).map_or(&[], |p| &p.customers)
    }

    /// The customer with this key.
    pub fn customer(&self, api_key: &str, key: &str) -> Option<&Customer> {
        self.customers(api_key).iter().find(|c| c.key == key)
    }

    /// The key of the customer who referred `key` (refer-a-friend).
    pub fn referrer_of(&self, api_key: &str, key: &str) -> Option<&str> {
        let program = self.program(api_key)?;
        let uid = self.customer(api_key, key)?.referred_by?;
        program.customer_by_uid(uid).map(|c| c.key.as_str())
    }

    /// All transactions of the program in creation order, deleted ones included.
    pub fn transactions(&self, api_key: &str) -> &[Transaction] {
        self.program(api_key).map_or(&[], |p| &p.transactions)
    }

    /// Every transaction stored under `key`, deleted ones included, oldest first.
    pub fn transactions_with_key(&self, api_key: &str, key: &str) -> Vec<&Transaction> {
        self.transactions(api_key)
            .iter()
            .filter(|t| t.key == key)
            .collect()
    }

    /// Live (not deleted) transactions of the program.
    pub fn live_transactions(&self, api_key: &str) -> Vec<&Transaction> {
        self.transactions(api_key)
            .iter()
            .filter(|t| !t.deleted)
            .collect()
    }

    /// Webhooks of the program.
    pub fn webhooks(&self, api_key: &str) -> &[Webhook] {
        self.program(api_key).map_or(&[], |p| &p.webhooks)
    }

    /// The commission balance of a reward recipient: in an affiliate program
    /// the partner with this referral key, in a refer-a-friend program the
    /// customer with this key (its `usd` currency line). `None` if no such
    /// partner or customer exists.
    pub fn balance(&self, api_key: &str, key: &str) -> Option<Decimal> {
        let program = self.program(api_key)?;
        match program.kind {
            ProgramKind::Affiliate => self.partner_by_key(api_key, key).map(|p| p.balance),
            ProgramKind::Newsletter => None,
            ProgramKind::ReferAFriend => self.customer(api_key, key).map(|c| {
                c.balances
                    .iter()
                    .filter(|b| b.is_currency && b.amount_units == COMMISSION_UNITS)
                    .fold(Decimal::ZERO, |sum, b| sum.saturating_add(b.amount))
            }),
        }
    }

    /// All balance lines of a refer-a-friend customer.
    pub fn customer_balances(&self, api_key: &str, key: &str) -> &[BalanceEntry] {
        self.customer(api_key, key).map_or(&[], |c| &c.balances)
    }

    /// The whole snapshot as JSON (what `GET /_sandbox/state` answers).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Adds `amount` to the balance line (`units`, `is_currency`), creating it if needed.
pub(crate) fn add_to_balance(
    balances: &mut Vec<BalanceEntry>,
    amount: Decimal,
    units: &str,
    is_currency: bool,
) {
    if let Some(entry) = balances
        .iter_mut()
        .find(|b| b.amount_units == units && b.is_currency == is_currency)
    {
        entry.amount = entry.amount.saturating_add(amount);
    } else {
        balances.push(BalanceEntry {
            amount,
            amount_units: units.to_owned(),
            is_currency,
        });
    }
}

/// FNV-1a, for stable made-up program ids.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
