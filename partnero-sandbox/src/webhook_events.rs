//! Which webhook events each program kind offers. `POST /webhooks` and `PUT /webhooks/{key}`
//! refuse (422) a name the program's kind does not offer, and a name that is not one of
//! Partnero's documented events at all: a webhook the sandbox accepts is one it can feed.
//!
//! Partnero documents the names but not which program type offers which, so the table is the
//! sandbox's decision (the README says so): each kind offers the events of the records it has.
//! Affiliate: partners, customers (not `customer.credited` or `customer.rewarded`: affiliate
//! customers have no balance), transactions, rewards, leads. Refer-a-friend: customers,
//! transactions, rewards. Newsletter: subscribers.

use serde_json::Value;

use crate::config::ProgramKind;
use crate::validate::Validator;

const PARTNER: &[&str] = &[
    "partner.created",
    "partner.updated",
    "partner.deleted",
    "partner.approved",
    "partner.rejected",
    "partner.archived",
];
const CUSTOMER: &[&str] = &["customer.created", "customer.updated", "customer.deleted"];
/// Balance events: refer-a-friend customers only.
const CUSTOMER_BALANCE: &[&str] = &["customer.credited", "customer.rewarded"];
const TRANSACTION: &[&str] = &[
    "transaction.created",
    "transaction.updated",
    "transaction.deleted",
];
const REWARD: &[&str] = &["reward.created", "reward.approved", "reward.paid"];
const LEAD: &[&str] = &["lead.submitted", "lead.converted", "lead.rejected"];
const SUBSCRIBER: &[&str] = &[
    "subscriber.created",
    "subscriber.updated",
    "subscriber.deleted",
    "subscriber.rewarded",
];

/// The event groups `kind` offers.
fn offered(kind: ProgramKind) -> &'static [&'static [&'static str]] {
    match kind {
        ProgramKind::Affiliate => &[PARTNER, CUSTOMER, TRANSACTION, REWARD, LEAD],
        ProgramKind::ReferAFriend => &[CUSTOMER, CUSTOMER_BALANCE, TRANSACTION, REWARD],
        ProgramKind::Newsletter => &[SUBSCRIBER],
    }
}

/// Whether a program of `kind` offers `event`.
fn offers(kind: ProgramKind, event: &str) -> bool {
    offered(kind).iter().any(|group| group.contains(&event))
}

/// Whether `event` is one of Partnero's documented events.
fn documented(event: &str) -> bool {
    [
        ProgramKind::Affiliate,
        ProgramKind::ReferAFriend,
        ProgramKind::Newsletter,
    ]
    .into_iter()
    .any(|kind| offers(kind, event))
}

/// Adds an `events.N` error for each name in the body's `events` list that `kind` does not
/// offer. Items that are not strings are `string_list`'s to report.
pub(crate) fn check(v: &mut Validator<'_>, kind: ProgramKind) {
    let Some(Value::Array(items)) = v.get("events") else {
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(event) = item.as_str() else { continue };
        let field = format!("events.{i}");
        if !documented(event) {
            v.error(&field, format!("The selected {field} is invalid."));
        } else if !offers(kind, event) {
            v.error(
                &field,
                format!("The {event} event is not available for {kind} programs."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_event_is_offered_by_some_kind_and_each_group_by_one_kind_at_least() {
        let all = [
            PARTNER,
            CUSTOMER,
            CUSTOMER_BALANCE,
            TRANSACTION,
            REWARD,
            LEAD,
            SUBSCRIBER,
        ];
        assert_eq!(all.iter().map(|g| g.len()).sum::<usize>(), 24);
        assert!(all.iter().flat_map(|g| g.iter()).all(|e| documented(e)));
        assert!(!documented("transaction.create"));
        assert!(offers(ProgramKind::Newsletter, "subscriber.rewarded"));
        assert!(!offers(ProgramKind::Newsletter, "customer.created"));
        assert!(!offers(ProgramKind::ReferAFriend, "lead.submitted"));
        assert!(offers(ProgramKind::Affiliate, "lead.submitted"));
    }
}
