//! What changed since the last look: the webhook events a program's state change produces.
//!
//! Rather than each handler announcing its events, the feed compares the program's partners,
//! customers, transactions, leads, manual partner rewards and subscribers with what it saw after
//! the previous state-changing request, under the store lock. Every change is reported exactly
//! once, whichever request made it, and endpoints added later produce their events without
//! code of their own. The comparison only runs for a program that has a webhook, so programs
//! without one pay nothing.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::app::AppInner;
use crate::config::ProgramKind;
use crate::state::ProgramData;
use crate::{record_views, views};

/// One event to deliver: the name and its `data`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub(crate) event: &'static str,
    pub(crate) data: Value,
}

/// What the feed saw of one program last time.
#[derive(Debug, Default)]
struct Seen {
    /// Partner id -> (fingerprint, view).
    partners: HashMap<String, (Value, Value)>,
    /// Customer uid -> (fingerprint, balances, view).
    customers: HashMap<u64, (Value, Value, Value)>,
    /// Transaction uid -> (fingerprint, deleted).
    transactions: HashMap<u64, (Value, bool)>,
    /// Lead id -> (status, view).
    leads: HashMap<u64, (String, Value)>,
    /// How many manual partner rewards there were (they are only ever added).
    partner_rewards: usize,
    /// Subscriber id -> (fingerprint, view).
    subscribers: HashMap<u64, (Value, Value)>,
}

/// The feed of every program, kept beside the data it watches (cleared with it).
#[derive(Debug, Default)]
pub(crate) struct ChangeFeed {
    programs: BTreeMap<String, Seen>,
}

/// The model as JSON without the fields whose change is not an event of its own
/// (`updated_at` moves with every change; balances are reported as credits or rewards).
fn fingerprint<T: serde::Serialize>(model: &T, ignore: &[&str]) -> Value {
    let mut value = serde_json::to_value(model).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        for field in ignore {
            map.remove(*field);
        }
    }
    value
}

/// `fingerprint` plus the view's `status`, which also says whether the record is archived.
fn with_status(mut print: Value, view: &Value) -> Value {
    if let Value::Object(map) = &mut print {
        map.insert("status".to_owned(), view["status"].clone());
    }
    print
}

fn archived(view: &Value) -> bool {
    view["status"] == "archived"
}

impl ChangeFeed {
    /// Forgets everything (the store was cleared).
    pub(crate) fn clear(&mut self) {
        self.programs.clear();
    }

    /// The events since the last call for `program`. A program without a webhook is not
    /// watched; the first look after its first webhook takes a baseline and reports nothing.
    /// `path` (the request's) tells a manual balance credit from the rest; a balance that
    /// changed with a new transaction is a referral reward, otherwise (a refund's reversal) an
    /// update. A lead pays its partner (`reward.created`) when it converts with a commission.
    pub(crate) fn changes(
        &mut self,
        app: &AppInner,
        program: &ProgramData,
        path: &str,
    ) -> Vec<Change> {
        if program.webhooks.is_empty() {
            self.programs.remove(&program.api_key);
            return Vec::new();
        }
        let now = snapshot(app, program);
        let Some(before) = self.programs.insert(program.api_key.clone(), now) else {
            return Vec::new();
        };
        let now = &self.programs[&program.api_key];
        let rewarded = program
            .transactions
            .iter()
            .any(|t| !before.transactions.contains_key(&t.uid));
        let mut out = Vec::new();
        let mut push = |event, data| out.push(Change { event, data });

        for p in &program.partners {
            let (print, view) = &now.partners[&p.id];
            match before.partners.get(&p.id) {
                None => {
                    push("partner.created", view.clone());
                    if archived(view) {
                        push("partner.archived", view.clone());
                    }
                }
                Some((_, old_view)) if archived(view) && !archived(old_view) => {
                    push("partner.archived", view.clone());
                }
                // Revoking an archive is an update.
                Some((old, _)) if old != print => push("partner.updated", view.clone()),
                Some(_) => {}
            }
        }
        for c in &program.customers {
            let (print, balances, view) = &now.customers[&c.uid];
            match before.customers.get(&c.uid) {
                None => push("customer.created", view.clone()),
                Some((old, old_balances, _)) => {
                    let credited = old_balances != balances && path.ends_with("/balance/credit");
                    let reward = old_balances != balances && !credited && rewarded;
                    if credited {
                        push("customer.credited", view.clone());
                    } else if reward {
                        push("customer.rewarded", view.clone());
                    }
                    // A reversed reward (a refund) is a plain update of the balance.
                    if old != print || (old_balances != balances && !credited && !reward) {
                        push("customer.updated", view.clone());
                    }
                }
            }
        }
        for t in &program.transactions {
            let (print, deleted) = &now.transactions[&t.uid];
            let view = views::transaction(t);
            match before.transactions.get(&t.uid) {
                None => {
                    push("transaction.created", view.clone());
                    for reward in view["rewards"].as_array().into_iter().flatten() {
                        let mut reward = reward.clone();
                        reward["transaction"] = json!({"key": t.key});
                        push("reward.created", reward);
                    }
                    if *deleted {
                        push("transaction.deleted", view);
                    }
                }
                Some((_, false)) if *deleted => push("transaction.deleted", view),
                Some((old, _)) if old != print => push("transaction.updated", view),
                Some(_) => {}
            }
        }
        for l in &program.extras.leads {
            let (status, view) = &now.leads[&l.id];
            let old = before.leads.get(&l.id).map(|(status, _)| status);
            if old.is_none() {
                push("lead.submitted", view.clone());
            }
            if old != Some(status) {
                match status.as_str() {
                    "converted" => {
                        push("lead.converted", view.clone());
                        if l.commission > rust_decimal::Decimal::ZERO {
                            push("reward.created", record_views::lead_reward(program, l));
                        }
                    }
                    "rejected" => push("lead.rejected", view.clone()),
                    _ => {}
                }
            }
        }
        let rewards = &program.extras.partner_rewards;
        for r in rewards.get(before.partner_rewards..).unwrap_or_default() {
            push("reward.created", record_views::partner_reward(program, r));
        }
        for s in &program.extras.subscribers {
            let (print, view) = &now.subscribers[&s.id];
            match before.subscribers.get(&s.id) {
                None => push("subscriber.created", view.clone()),
                Some((old, _)) if old != print => push("subscriber.updated", view.clone()),
                Some(_) => {}
            }
        }
        for (id, (_, view)) in &before.subscribers {
            if !now.subscribers.contains_key(id) {
                push("subscriber.deleted", view.clone());
            }
        }
        for (id, (_, view)) in &before.partners {
            if !now.partners.contains_key(id) {
                push("partner.deleted", view.clone());
            }
        }
        for (uid, (_, _, view)) in &before.customers {
            if !now.customers.contains_key(uid) {
                push("customer.deleted", view.clone());
            }
        }
        out
    }
}

fn snapshot(app: &AppInner, program: &ProgramData) -> Seen {
    let partners = program
        .partners
        .iter()
        .map(|p| {
            let view = views::partner(app, program, p);
            let print = with_status(fingerprint(p, &["balance", "updated_at"]), &view);
            (p.id.clone(), (print, view))
        })
        .collect();
    let customers = program
        .customers
        .iter()
        .map(|c| {
            let view = views::customer(app, program, c);
            let print = with_status(fingerprint(c, &["balances", "updated_at"]), &view);
            let balances = match program.kind {
                ProgramKind::ReferAFriend => views::balance(&c.balances),
                ProgramKind::Affiliate | ProgramKind::Newsletter => Value::Null,
            };
            (c.uid, (print, balances, view))
        })
        .collect();
    let transactions = program
        .transactions
        .iter()
        .map(|t| (t.uid, (fingerprint(t, &["updated_at"]), t.deleted)))
        .collect();
    let leads = program
        .extras
        .leads
        .iter()
        .map(|l| (l.id, (l.status.clone(), record_views::lead(program, l))))
        .collect();
    let subscribers = program
        .extras
        .subscribers
        .iter()
        .map(|s| {
            let print = fingerprint(s, &["updated_at"]);
            (s.id, (print, record_views::subscriber(app, program, s)))
        })
        .collect();
    Seen {
        partners,
        customers,
        transactions,
        leads,
        partner_rewards: program.extras.partner_rewards.len(),
        subscribers,
    }
}
