//! A purchase event (the customer created with its first sale): sent as
//! [`Partnero::purchase_once`] sends it, decided as a sale is. An unknown outcome makes it
//! unconfirmed; after the settle time it is looked up by its transaction key and resent only
//! when absent. A referral key Partnero refuses is dropped and the sale sent without it (the
//! client's decision, not repeated here): a refusal records nothing, so a resend after a
//! lookup that found nothing asks with the key again and ends the same way.

use std::time::Duration;

use partnero_client::{NewCustomer, Partnero, PurchaseReferral, Sale};
use partnero_core::ReferralContext;

use super::{Decision, confirm_sale, failure, is_success_status, recorded_before};
use crate::event::Kind;
use crate::store::{Claimed, Transition};

/// Delivers one claimed purchase row; its outcome is the referral's fate (`referred`,
/// `not_referred`, `referral_key_unknown`) or `recovered` after a lookup.
pub(super) async fn deliver(
    client: &Partnero,
    row: &Claimed,
    policy: &super::Policy,
    referral: &ReferralContext,
    customer: NewCustomer,
    sale: Sale,
) -> Decision {
    let key = sale.key.clone().unwrap_or_default();
    if row.unconfirmed {
        return confirm_sale(client, &key, row, policy).await;
    }
    if let Some(decision) = recorded_before(client, &key, &customer.key, row, policy).await {
        return decision;
    }
    match client.purchase_once(referral, customer, sale).await {
        Ok(outcome) => Decision::delivered(
            outcome
                .referral()
                .map_or("already_recorded", PurchaseReferral::as_str),
        ),
        // Recorded already, or recorded with an unreadable answer: read it back by key.
        Err(e) if e.is_duplicate() || is_success_status(&e) => {
            Decision::to(Transition::Unconfirmed {
                settle: Duration::ZERO,
                status: e.status(),
                error: e.to_string(),
                count: true,
            })
        }
        Err(e) => failure(Kind::Purchase, &e, row, policy),
    }
}
