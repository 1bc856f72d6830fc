//! One explanation per sign-up, sale and refund the helpers make: a `tracing` event (target
//! `partnero`) with the outcome and the reason, at `INFO`, or `WARN` when something needs a fix
//! or a later look (an error of a durable dispatcher's client: `DEBUG`, it retries), and a
//! counter through the `metrics` facade.
//!
//! | counter | label |
//! |---|---|
//! | `partnero_signups_total` | `outcome`: [`SignupOutcome::label`], or `error` |
//! | `partnero_sales_total` | `outcome`: [`SaleOutcome::label`] or [`PurchaseOutcome::label`], or `error` |
//! | `partnero_refunds_total` | `outcome`: [`RefundOutcome::label`], or `error` |
//!
//! Keys are not logged (a customer key is often an e-mail address); where the referral came
//! from (cookie, link, path) is.

use partnero_core::ReferralContext;

use crate::{Error, Program, PurchaseOutcome, RefundOutcome, SaleOutcome, SignupOutcome};

/// The event: `DEBUG` when `quiet`, else `WARN` when `warn`, else `INFO`.
macro_rules! explain {
    ($quiet:expr, $warn:expr, $message:literal, $outcome:expr, $reason:expr $(, $field:ident = $value:expr)*) => {
        if $quiet {
            tracing::debug!(target: "partnero", outcome = $outcome, reason = %$reason $(, $field = $value)*, $message);
        } else if $warn {
            tracing::warn!(target: "partnero", outcome = $outcome, reason = %$reason $(, $field = $value)*, $message);
        } else {
            tracing::info!(target: "partnero", outcome = $outcome, reason = %$reason $(, $field = $value)*, $message);
        }
    };
}

/// Explains one [`Partnero::signup`](crate::Partnero::signup).
///
/// `durable`: the caller is a durable dispatcher (a [`single_attempt`](crate::Partnero::single_attempt)
/// client) that records and retries failures itself; they are logged at `DEBUG` then, so an
/// outage does not print a warning per attempt.
pub(crate) fn signup(ctx: &ReferralContext, result: &Result<SignupOutcome, Error>, durable: bool) {
    let outcome = result.as_ref().map_or("error", SignupOutcome::label);
    metrics::counter!("partnero_signups_total", "outcome" => outcome).increment(1);
    let (warn, reason) = match result {
        Ok(SignupOutcome::Attributed { .. }) => (false, "referred: the customer is attributed".to_owned()),
        Ok(SignupOutcome::NotReferred { .. }) => (
            false,
            "no referral key in this request (no referral cookie and no referral link: an \
             organic visitor, an expired cookie, or a cookie refused for consent, a crawler, a \
             prefetch)"
                .to_owned(),
        ),
        Ok(SignupOutcome::AlreadyExists) => (false, "a customer with this key exists already; nothing changed".to_owned()),
        Ok(SignupOutcome::PartnerKeyUnknown) => (
            false,
            "Partnero does not know the partner key (a stale cookie, or a key of another program); not attributed".to_owned(),
        ),
        Ok(SignupOutcome::ReferrerKeyUnknown { .. }) => (
            false,
            "Partnero does not know the referring customer key; the customer was created without a referrer".to_owned(),
        ),
        Ok(SignupOutcome::EmailTaken { .. }) => (
            true,
            "another customer has this e-mail: the customer was NOT created, and its sales will be unknown to Partnero; record them under the existing customer's key".to_owned(),
        ),
        Ok(SignupOutcome::OtherProgramKey { key_program, .. }) => (
            true,
            format!(
                "the visitor's referral key belongs to a {key_program} program but this client works for {}: \
                 set PARTNERO_PROGRAM={key_program} (or PartneroBuilder::program); a site running both \
                 programs needs one client per program",
                program_of_client(*key_program)
            ),
        ),
        Err(e) => (true, failed("recorded", e)),
    };
    explain!(
        durable && result.is_err(),
        warn,
        "partnero sign-up",
        outcome,
        reason,
        partner_from = ctx
            .partner
            .as_ref()
            .map(|c| tracing::field::debug(c.source)),
        referrer_from = ctx
            .referrer
            .as_ref()
            .map(|c| tracing::field::debug(c.source)),
        landing_url_known = ctx.landing_url().is_some()
    );
}

/// The program a client must have been set to for a `key_program` key to be "the other".
fn program_of_client(key_program: Program) -> Program {
    match key_program {
        Program::ReferAFriend => Program::Affiliate,
        _ => Program::ReferAFriend,
    }
}

/// Why a keyed sale or purchase posted nothing.
const ALREADY_RECORDED: &str =
    "a sale with this key was recorded before; nothing posted, no second commission";

/// Explains one [`Partnero::sale`](crate::Partnero::sale).
pub(crate) fn sale(program: Program, result: &Result<SaleOutcome, Error>, durable: bool) {
    let outcome = result.as_ref().map_or("error", SaleOutcome::label);
    metrics::counter!("partnero_sales_total", "outcome" => outcome).increment(1);
    let (warn, reason) = match result {
        Ok(SaleOutcome::Recorded {
            recovered: false, ..
        }) => (false, "recorded".to_owned()),
        Ok(SaleOutcome::Recorded {
            recovered: true, ..
        }) => (
            false,
            "recorded; its answer was lost and it was read back by key (recorded once)".to_owned(),
        ),
        Ok(SaleOutcome::AlreadyRecorded { .. }) => (false, ALREADY_RECORDED.to_owned()),
        Ok(SaleOutcome::CustomerUnknown) => match program {
            Program::ReferAFriend => (
                true,
                "Partnero has no customer with this key: its sign-up never reached Partnero"
                    .to_owned(),
            ),
            _ => (
                false,
                "Partnero has no customer with this key (nobody referred it): no commission"
                    .to_owned(),
            ),
        },
        Err(e) => (true, failed("recorded", e)),
    };
    explain!(
        durable && result.is_err(),
        warn,
        "partnero sale",
        outcome,
        reason
    );
}

/// Explains one [`Partnero::refund`](crate::Partnero::refund).
pub(crate) fn refund(result: &Result<RefundOutcome, Error>, durable: bool) {
    let outcome = result.as_ref().map_or("error", RefundOutcome::label);
    metrics::counter!("partnero_refunds_total", "outcome" => outcome).increment(1);
    let (warn, reason) = match result {
        Ok(RefundOutcome::Refunded) => (false, "deleted; the commission is reversed".to_owned()),
        Ok(RefundOutcome::UnknownTransaction) => (false, "Partnero has no transaction with this key".to_owned()),
        Ok(RefundOutcome::Unconfirmed) => (
            true,
            "an attempt failed ambiguously, then 404, and the key is not found: it may be deleted, or the sale may still be recorded with its commission; look it up again later".to_owned(),
        ),
        Err(e) => (true, failed("refunded", e)),
    };
    explain!(
        durable && result.is_err(),
        warn,
        "partnero refund",
        outcome,
        reason
    );
}

/// Explains one [`Partnero::purchase`](crate::Partnero::purchase) (counted with the sales).
pub(crate) fn purchase(result: &Result<PurchaseOutcome, Error>, durable: bool) {
    let outcome = result.as_ref().map_or("error", PurchaseOutcome::label);
    metrics::counter!("partnero_sales_total", "outcome" => outcome).increment(1);
    let (warn, reason) = match result {
        Ok(PurchaseOutcome::Recorded { recovered, .. }) => (
            false,
            if *recovered {
                "purchase recorded with its customer; its answer was lost and it was read back by key (recorded once)"
            } else {
                "purchase recorded with its customer"
            }
            .to_owned(),
        ),
        Ok(PurchaseOutcome::AlreadyRecorded { .. }) => (
            false,
            ALREADY_RECORDED.to_owned(),
        ),
        Err(e) => (true, failed("recorded", e)),
    };
    explain!(
        durable && result.is_err(),
        warn,
        "partnero purchase",
        outcome,
        reason
    );
}

/// The reason of a failed call: "not <done>" only when Partnero surely did nothing; after an
/// ambiguous failure (a timeout, a 5xx, a dropped connection) it may have, and whoever acts
/// on the log must look the key up before sending it again.
fn failed(done: &str, e: &Error) -> String {
    if e.is_ambiguous() {
        format!("outcome unknown, it may be {done}: look its key up before sending it again ({e})")
    } else {
        format!("not {done}: {e}")
    }
}
