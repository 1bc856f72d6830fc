//! One delivery attempt of one claimed row, and the state it leads to: the transitions of
//! `shared/delivery.md` §4 in one place.
//!
//! | attempt ends with | sign-up, refund | sale, purchase (see `purchase.rs`) |
//! |---|---|---|
//! | 2xx, sign-up "duplicate key", refund 404 | delivered (a refund whose sale is not in the outbox: 404 only after the settle time) | delivered |
//! | never left (connection refused, DNS) | retry with backoff | retry with backoff |
//! | 5xx, timeout, connection dropped after sending | retry with backoff (a resend is safe) | **unconfirmed**: looked up by key after the settle time, resent only when absent |
//! | 429 | retry after `Retry-After`, whole dispatcher paused, attempt not counted | same |
//! | 401 / 403 | retry later, whole dispatcher paused, attempt not counted | same |
//! | other 4xx | dead (with the reason) | dead; "customer does not exist" (an affiliate customer nobody referred) is delivered as `customer_unknown` |
//! | attempts over the bound (not counting an outage: refused connections, timeouts, 502-504) or age over the bound | dead | dead |

use std::time::Duration;

use partnero_client::{Error as ApiError, Partnero, RefundOutcome};

use crate::event::{Kind, Payload, decode};
use crate::store::{Claimed, Transition};

mod purchase;

/// The dispatcher's delivery settings (see [`DispatcherBuilder`](crate::DispatcherBuilder)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    pub(crate) settle: Duration,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) max_age: Duration,
    /// How long a rejected API key pauses the dispatcher.
    pub(crate) auth_pause: Duration,
    /// How long an unreachable Partnero pauses it (jittered) before it tries again.
    pub(crate) outage_pause: Duration,
    /// How long a 429 without `Retry-After` pauses it.
    pub(crate) rate_limit_pause: Duration,
}

impl Default for Policy {
    /// The defaults of [`DispatcherBuilder`](crate::DispatcherBuilder)'s table.
    fn default() -> Self {
        Self {
            settle: Duration::from_secs(120),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(600),
            max_attempts: 20,
            max_age: Duration::from_secs(72 * 3600),
            auth_pause: Duration::from_secs(60),
            outage_pause: Duration::from_secs(1),
            rate_limit_pause: Duration::from_secs(5),
        }
    }
}

/// Why the whole dispatcher stops claiming for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PauseReason {
    /// Partnero is unreachable or overloaded (refused connections, timeouts, 502-504): the
    /// dispatcher tries again every [`outage_pause`](crate::DispatcherBuilder::outage_pause)
    /// instead of each row backing off on its own, so the backlog goes out as soon as
    /// Partnero is back.
    Unreachable,
    /// Partnero answered 429.
    RateLimited,
    /// Partnero rejected the API key (401 / 403): a configuration error, not the event's.
    Unauthorized,
}

impl PauseReason {
    /// `unreachable` / `rate_limited` / `unauthorized`.
    pub fn as_str(self) -> &'static str {
        match self {
            PauseReason::Unreachable => "unreachable",
            PauseReason::RateLimited => "rate_limited",
            PauseReason::Unauthorized => "unauthorized",
        }
    }
}

/// What one attempt decided.
#[derive(Debug)]
pub(crate) struct Decision {
    pub(crate) transition: Transition,
    pub(crate) pause: Option<(Duration, PauseReason)>,
    /// Partnero was unreachable or overloaded (connection refused, timeout, 502/503/504): not
    /// the event's fault, so the attempt bound does not apply, only the age bound. An outage
    /// of hours must not turn every waiting event into a dead letter.
    pub(crate) outage: bool,
}

impl Decision {
    fn to(transition: Transition) -> Self {
        Self {
            transition,
            pause: None,
            outage: false,
        }
    }

    /// Partnero was unreachable: the attempt is given back (an outage of any length spends
    /// none of the row's attempts; only the age bound applies), and the whole dispatcher pauses
    /// for (jittered) `outage_pause` unless a longer pause is set already.
    fn in_outage(mut self, policy: &Policy) -> Self {
        if let Transition::Retry { count, .. } | Transition::Unconfirmed { count, .. } =
            &mut self.transition
        {
            *count = false;
        }
        let ms = u64::try_from(policy.outage_pause.as_millis()).unwrap_or(u64::MAX);
        let wait = Duration::from_millis(fastrand::u64(ms / 2..=ms));
        self.pause = self.pause.or(Some((wait, PauseReason::Unreachable)));
        self.outage = true;
        self
    }

    fn dead(reason: impl Into<String>) -> Self {
        Self::to(Transition::Dead {
            status: None,
            reason: reason.into(),
        })
    }

    fn delivered(outcome: &str) -> Self {
        Self::to(Transition::Delivered {
            outcome: outcome.to_owned(),
        })
    }
}

/// Delivers `row` with `client` (a single-attempt client) and decides its next state.
pub(crate) async fn deliver(client: &Partnero, row: &Claimed, policy: &Policy) -> Decision {
    let Some(kind) = row.kind else {
        return Decision::dead("unknown event kind (a row this version does not know)");
    };
    let payload = match decode(&row.payload) {
        Ok(payload) => payload,
        Err(reason) => return Decision::dead(reason),
    };
    let decision = match (kind, payload) {
        (Kind::Signup, Payload::Signup { customer, referral }) => {
            match client.signup(&referral.context(), customer).await {
                Ok(outcome) => Decision::delivered(outcome.label()),
                Err(e) => failure(Kind::Signup, &e, row, policy),
            }
        }
        (Kind::Sale, Payload::Sale { customer_key, sale }) => {
            let key = sale.key.clone().unwrap_or_default();
            if row.unconfirmed {
                confirm_sale(client, &key, row, policy).await
            } else if let Some(decision) =
                recorded_before(client, &key, &customer_key, row, policy).await
            {
                decision
            } else {
                match client
                    .transactions()
                    .create_once(&customer_key, &sale)
                    .await
                {
                    Ok(_) => Decision::delivered("recorded"),
                    Err(e) if e.is_unknown_customer() => Decision::delivered("customer_unknown"),
                    // Recorded already (a duplicate answer) or recorded with an unreadable
                    // answer: read it back by key before calling it delivered.
                    Err(e) if e.is_duplicate() || is_success_status(&e) => {
                        Decision::to(Transition::Unconfirmed {
                            settle: Duration::ZERO,
                            status: e.status(),
                            error: e.to_string(),
                            count: true,
                        })
                    }
                    Err(e) => failure(Kind::Sale, &e, row, policy),
                }
            }
        }
        (Kind::Refund, Payload::Refund { transaction_key }) => {
            match client.refund(&transaction_key).await {
                // Its sale was sent some other way and may still be processing: a refund
                // that gave up now would leave that sale's commission paid. Ask again until
                // the settle time has passed.
                Ok(RefundOutcome::UnknownTransaction)
                    if row.unordered_refund && row.age < policy.settle =>
                {
                    Decision::to(Transition::Retry {
                        delay: policy.settle - row.age,
                        status: Some(404),
                        error:
                            "no transaction with this key yet; looking again after the settle time"
                                .into(),
                        count: false,
                    })
                }
                Ok(RefundOutcome::UnknownTransaction) => Decision::delivered("not_found"),
                // Deleted, or not, or its sale still on its way: ask again later.
                Ok(RefundOutcome::Unconfirmed) => Decision::to(Transition::Retry {
                    delay: backoff(row.attempts, policy),
                    status: Some(404),
                    error: "refund unconfirmed: 404 after an ambiguous failure; looking again"
                        .into(),
                    count: true,
                }),
                Ok(_) => Decision::delivered("refunded"),
                Err(e) => failure(Kind::Refund, &e, row, policy),
            }
        }
        (
            Kind::Purchase,
            Payload::Purchase {
                customer,
                sale,
                referral,
            },
        ) => purchase::deliver(client, row, policy, &referral.context(), customer, sale).await,
        (kind, _) => Decision::dead(format!("the payload is not a {kind} event")),
    };
    give_up_when_over_bounds(decision, row, policy)
}

/// An unconfirmed sale after its settle time: `GET /transactions/{key}`. Found: delivered.
/// Absent: due again at once as pending, so the next claim sends it (a crash in between
/// leaves it in flight, which the lease turns back into unconfirmed: never a blind resend).
async fn confirm_sale(client: &Partnero, key: &str, row: &Claimed, policy: &Policy) -> Decision {
    match client.transactions().get(key).await {
        Ok(_) => Decision::delivered("recovered"),
        // Not the event's fault: the POST that failed counted its own attempt (a 500 counts,
        // a 503 or a timeout does not), so a sale Partnero keeps losing is bounded as its
        // POSTs are, and by the age bound.
        Err(ApiError::NotFound { .. }) => Decision::to(Transition::Retry {
            delay: Duration::ZERO,
            status: Some(404),
            error: "not recorded by Partnero after the settle time; sending it again".into(),
            count: false,
        }),
        // A GET records nothing: a failed look-up is retried as a read (an outage's soon).
        Err(e) => match failure_as(false, &e, row, policy) {
            // The lookup itself failed: still unconfirmed, look again after a backoff.
            Decision {
                transition: Transition::Retry { delay, count, .. },
                pause,
                outage,
            } => Decision {
                transition: Transition::Unconfirmed {
                    settle: delay,
                    status: e.status(),
                    error: format!("looking the sale up failed: {e}"),
                    count,
                },
                pause,
                outage,
            },
            other => other,
        },
    }
}

/// Before a sale or a purchase is posted, its key is looked up: a transaction recorded with it
/// already (by an earlier row of the same key, purged since; or by the same sale sent inline
/// too) is delivered, never posted again, and a key another customer's sale has is a dead
/// letter. `None`: absent, post it. A look-up that fails posts nothing and is retried as a
/// read (it cannot have recorded anything).
async fn recorded_before(
    client: &Partnero,
    key: &str,
    customer_key: &str,
    row: &Claimed,
    policy: &Policy,
) -> Option<Decision> {
    match client.recorded_sale(key, customer_key).await {
        Ok(Some(_)) => Some(Decision::delivered("already_recorded")),
        Ok(None) => None,
        // The key is another customer's sale's.
        Err(ApiError::InvalidInput(reason)) => Some(Decision::dead(reason)),
        Err(e) => Some(failure_as(false, &e, row, policy)),
    }
}

/// The state a failed attempt leads to (see the table in the module docs).
fn failure(kind: Kind, e: &ApiError, row: &Claimed, policy: &Policy) -> Decision {
    failure_as(kind.creates_transaction(), e, row, policy)
}

/// [`failure`] of a request that records a transaction (`creates`: an ambiguous failure makes
/// it unconfirmed) or not (a sign-up, a refund, a look-up: retried).
fn failure_as(creates: bool, e: &ApiError, row: &Claimed, policy: &Policy) -> Decision {
    let status = e.status();
    let error = e.to_string();
    let retry = |delay: Duration, count: bool| Transition::Retry {
        delay,
        status,
        error: error.clone(),
        count,
    };
    match e {
        ApiError::Unauthorized | ApiError::Config(_) | ApiError::Api { status: 403, .. } => {
            Decision {
                transition: retry(policy.auth_pause, false),
                pause: Some((policy.auth_pause, PauseReason::Unauthorized)),
                outage: false,
            }
        }
        ApiError::RateLimited { retry_after } => {
            // A `Retry-After` past the age bound is not believed further than that.
            let wait = retry_after
                .unwrap_or(policy.rate_limit_pause)
                .min(policy.max_age);
            Decision {
                transition: retry(wait, false),
                pause: Some((wait, PauseReason::RateLimited)),
                outage: false,
            }
        }
        // Not sent because a helper's time budget ran out (not under a dispatcher's client,
        // which has none): Partnero is reachable, so an ordinary counted retry.
        ApiError::BudgetSpent => Decision::to(retry(backoff(row.attempts, policy), true)),
        // Partnero unreachable: the whole dispatcher pauses (see `in_outage`), so this row is
        // due again as soon as it resumes, not after a backoff of its own that grows with the
        // outage and would hold the backlog back long after Partnero returned.
        e if e.is_connect() => Decision::to(retry(backoff(1, policy), true)).in_outage(policy),
        e if e.is_ambiguous() => {
            let decision = if creates {
                Decision::to(Transition::Unconfirmed {
                    settle: policy.settle,
                    status,
                    error,
                    count: true,
                })
            } else {
                let attempts = if is_outage(e) { 1 } else { row.attempts };
                let delay = backoff(attempts, policy).max(e.retry_after().unwrap_or_default());
                Decision::to(retry(delay, true))
            };
            if is_outage(e) {
                decision.in_outage(policy)
            } else {
                decision
            }
        }
        _ => Decision::to(Transition::Dead {
            status,
            reason: error,
        }),
    }
}

/// Partnero unreachable or overloaded rather than refusing this event: a timeout, a
/// connection dropped mid-request, 502/503/504. (A 500 may be this event's doing, and counts.)
fn is_outage(e: &ApiError) -> bool {
    matches!(e, ApiError::Timeout | ApiError::Transport(_)) || matches!(e.status(), Some(502..=504))
}

/// Dead once the attempts (not during an outage) or the age pass their bound: a retry that
/// counts, or a sale still unconfirmed.
fn give_up_when_over_bounds(decision: Decision, row: &Claimed, policy: &Policy) -> Decision {
    let over_age = row.age >= policy.max_age;
    let over_attempts =
        !decision.outage && u32::try_from(row.attempts).unwrap_or(0) >= policy.max_attempts;
    let over = match &decision.transition {
        Transition::Retry { count: true, .. } | Transition::Unconfirmed { .. } => {
            over_attempts || over_age
        }
        // An outage's retry gives its attempt back, but not the age bound.
        Transition::Retry { count: false, .. } => decision.outage && over_age,
        _ => false,
    };
    match &decision.transition {
        Transition::Retry { status, error, .. } | Transition::Unconfirmed { status, error, .. }
            if over =>
        {
            Decision::to(Transition::Dead {
                status: *status,
                reason: format!(
                    "gave up after {} attempts over {} s: {error}",
                    row.attempts,
                    row.age.as_secs()
                ),
            })
        }
        _ => decision,
    }
}

/// Full-jitter exponential backoff: a uniform delay in `[0, min(cap, base * 2^(attempts-1))]`.
pub(crate) fn backoff(attempts: i32, policy: &Policy) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let ceiling = policy
        .backoff_base
        .saturating_mul(1u32 << exp)
        .min(policy.backoff_cap);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=ms))
}

/// A 2xx whose body could not be read: the request was processed.
fn is_success_status(e: &ApiError) -> bool {
    matches!(e, ApiError::Decode { status, .. } if (200..300).contains(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signup_row(attempts: i32) -> Claimed {
        Claimed {
            id: 1,
            kind: Some(Kind::Signup),
            payload: String::new(),
            unconfirmed: false,
            unordered_refund: false,
            attempts,
            age: Duration::from_secs(60),
        }
    }

    fn api(status: u16) -> ApiError {
        ApiError::Api {
            status,
            message: "down".into(),
            errors: Default::default(),
            retry_after: None,
        }
    }

    /// Partnero unreachable: a row that failed a dozen times is due again within the backoff
    /// base, not after a backoff grown with the outage (with the defaults that was up to
    /// 10 min: a 30 s outage's backlog took two minutes to drain), its attempt is given back
    /// (an outage spends none), and the whole dispatcher pauses instead. A sale's look-up that
    /// an outage kept from answering stays unconfirmed, its attempt given back too. A 500,
    /// which may be the event's doing, and a spent helper budget still count, with no pause.
    /// The age bound ends an outage's retries too (they give their attempts back), and an
    /// unconfirmed sale's; a fresh row in an outage is never dead, whatever its attempts.
    #[test]
    fn the_age_bound_applies_through_an_outage() {
        let p = Policy::default();
        let mut old = signup_row(1);
        old.age = p.max_age + Duration::from_secs(1);
        for creates in [false, true] {
            let d = give_up_when_over_bounds(
                failure_as(creates, &ApiError::Timeout, &old, &p),
                &old,
                &p,
            );
            assert!(
                matches!(d.transition, Transition::Dead { .. }),
                "{creates}: {:?}",
                d.transition
            );
            let young = signup_row(500);
            let d = give_up_when_over_bounds(
                failure_as(creates, &ApiError::Timeout, &young, &p),
                &young,
                &p,
            );
            assert!(
                !matches!(d.transition, Transition::Dead { .. }),
                "{creates}: {:?}",
                d.transition
            );
        }
    }

    #[test]
    fn an_outage_pauses_the_dispatcher_not_each_row() {
        let p = Policy::default();
        let row = signup_row(12);
        for e in [ApiError::Timeout, api(502), api(503)] {
            let d = failure_as(false, &e, &row, &p);
            assert!(d.outage, "{e}");
            let Transition::Retry { delay, count, .. } = d.transition else {
                panic!("{e}: {:?}", d.transition);
            };
            assert!(delay <= p.backoff_base && !count, "{e}: {delay:?} {count}");
            let (wait, reason) = d.pause.expect("the dispatcher pauses");
            assert_eq!(reason, PauseReason::Unreachable);
            assert!(
                wait >= p.outage_pause / 2 && wait <= p.outage_pause,
                "{wait:?}"
            );
            let sale = failure_as(true, &e, &row, &p);
            assert!(
                matches!(
                    sale.transition,
                    Transition::Unconfirmed { count: false, .. }
                ),
                "{e}: {:?}",
                sale.transition
            );
        }
        for e in [api(500), ApiError::BudgetSpent] {
            let d = failure_as(false, &e, &row, &p);
            assert!(!d.outage && d.pause.is_none(), "{e}");
            assert!(
                matches!(d.transition, Transition::Retry { count: true, .. }),
                "{e}: {:?}",
                d.transition
            );
        }
    }

    #[test]
    fn backoff_stays_within_its_ceiling() {
        let p = Policy::default();
        for attempts in [1, 2, 5, 12, 40, i32::MAX] {
            for _ in 0..200 {
                let d = backoff(attempts, &p);
                assert!(d <= p.backoff_cap, "{attempts}: {d:?}");
                if attempts == 1 {
                    assert!(d <= p.backoff_base);
                }
            }
        }
    }
}
