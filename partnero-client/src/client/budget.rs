//! [`Budget`]: how long one call may take, all attempts together, and the deadline the
//! tracking helpers share across the calls they make.

use std::future::Future;
use std::time::{Duration, Instant};

use super::retry::RetryPolicy;

tokio::task_local! {
    /// The end of the current helper's budget (`signup`, `sale`, `refund`): every call it makes
    /// ends its retries by then.
    static SHARED_DEADLINE: Instant;
}

tokio::task_local! {
    /// Set while a confirming look-up runs (see [`confirming`]).
    static CONFIRMING: ();
}

/// Runs `work`, a look-up that tells whether an ambiguous write was recorded (a sale's
/// `GET /transactions/{key}` after a lost answer, a refund's after a late 404), as the one
/// call that may start after the shared deadline, with [`RetryPolicy::MIN_ATTEMPT`] to
/// answer: only it can tell a recorded sale from a lost one.
pub(crate) async fn confirming<F: Future>(work: F) -> F::Output {
    CONFIRMING.scope((), work).await
}

/// Runs `work` with every call it makes bounded by one budget of `policy.max_elapsed`: a
/// tracking helper, however many requests it needs, keeps a visitor waiting at most that long
/// (see [`RetryPolicy::max_elapsed`] for the one exception, the confirm look-up of a sale).
pub(crate) async fn shared<F: Future>(policy: &RetryPolicy, work: F) -> F::Output {
    let deadline = after(Instant::now(), policy.budget());
    match SHARED_DEADLINE.try_with(|d| *d) {
        // A helper inside a helper keeps the outer deadline.
        Ok(_) => work.await,
        Err(_) => SHARED_DEADLINE.scope(deadline, work).await,
    }
}

/// `start + wait`, or a time so far ahead it never comes when `wait` is too long to add (a
/// budget of `Duration::MAX` means "no limit", never a panic).
fn after(start: Instant, wait: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    start
        .checked_add(wait)
        .or_else(|| start.checked_add(FAR))
        .unwrap_or(start)
}

/// The time budget of one call (one retry loop).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    started: Instant,
    end: Instant,
    /// Under a helper's shared deadline, and not a confirming look-up: the first attempt too
    /// needs [`RetryPolicy::MIN_ATTEMPT`] left.
    bounded_start: bool,
}

impl Budget {
    /// Starts now: `policy.max_elapsed`, cut to the shared deadline when one is set.
    pub(crate) fn start(policy: &RetryPolicy) -> Self {
        let started = Instant::now();
        let own = after(started, policy.budget());
        let shared = SHARED_DEADLINE.try_with(|d| *d).ok();
        let end = shared.map_or(own, |d| own.min(d));
        let bounded_start = shared.is_some() && CONFIRMING.try_with(|()| ()).is_err();
        Self {
            started,
            end,
            bounded_start,
        }
    }

    /// Whether the first attempt may be sent: always for a call on its own or a confirming
    /// look-up; under a helper's shared deadline only with [`RetryPolicy::MIN_ATTEMPT`] left
    /// (later attempts are bounded by [`retry_delay`](Self::retry_delay)).
    pub(crate) fn allows_first_attempt(&self) -> bool {
        !self.bounded_start || self.has_room_for_an_attempt()
    }

    /// Whether [`RetryPolicy::MIN_ATTEMPT`] is left of the budget now.
    pub(crate) fn has_room_for_an_attempt(&self) -> bool {
        after(Instant::now(), RetryPolicy::MIN_ATTEMPT) <= self.end
    }

    /// The wait before another attempt, or `None`: the policy must allow one, and at least
    /// [`RetryPolicy::MIN_ATTEMPT`] must be left of the budget after the wait.
    pub(crate) fn retry_delay(
        &self,
        policy: &RetryPolicy,
        failed_attempt: u32,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let delay = policy.next_delay(failed_attempt, self.started.elapsed(), retry_after)?;
        let needed = delay.saturating_add(RetryPolicy::MIN_ATTEMPT);
        (after(Instant::now(), needed) <= self.end).then_some(delay)
    }

    /// The timeout of the next attempt: `timeout` cut to what is left of the budget, but never
    /// under [`RetryPolicy::MIN_ATTEMPT`] (a confirming look-up runs even when the budget is
    /// spent; any other attempt starts only with that much left). `None` (no timeout) stays
    /// `None`.
    pub(crate) fn attempt_timeout(&self, timeout: Option<Duration>) -> Option<Duration> {
        let left = self
            .end
            .saturating_duration_since(Instant::now())
            .max(RetryPolicy::MIN_ATTEMPT);
        timeout.map(|t| t.min(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attempts_are_cut_to_the_shared_budget() {
        let ten = RetryPolicy::default();
        let alone = Budget::start(&ten);
        assert_eq!(
            alone.attempt_timeout(Some(Duration::from_secs(5))),
            Some(Duration::from_secs(5))
        );
        assert_eq!(alone.attempt_timeout(None), None);

        let short = RetryPolicy::default().max_elapsed(Duration::from_millis(1500));
        shared(&short, async {
            let budget = Budget::start(&ten);
            let timeout = budget
                .attempt_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            assert!(timeout <= Duration::from_millis(1500), "{timeout:?}");
            assert!(timeout >= RetryPolicy::MIN_ATTEMPT, "{timeout:?}");
            // A retry after 1 s would leave less than MIN_ATTEMPT of the 1.5 s.
            assert_eq!(
                budget.retry_delay(&ten, 1, Some(Duration::from_secs(1))),
                None
            );
            // A nested helper keeps the outer deadline.
            shared(&ten, async {
                let inner = Budget::start(&ten);
                assert!(
                    inner.attempt_timeout(Some(Duration::from_secs(5))).unwrap()
                        <= Duration::from_millis(1500)
                );
            })
            .await;
        })
        .await;
    }

    /// Under a spent shared deadline no call starts, but a confirming look-up does, with
    /// `MIN_ATTEMPT` to answer; a call on its own always starts.
    #[tokio::test]
    async fn a_spent_budget_starts_only_confirming_look_ups() {
        let ten = RetryPolicy::default();
        assert!(Budget::start(&ten).allows_first_attempt());
        let spent = RetryPolicy::default().max_elapsed(Duration::ZERO);
        shared(&spent, async {
            assert!(!Budget::start(&ten).allows_first_attempt());
            confirming(async {
                let look_up = Budget::start(&ten);
                assert!(look_up.allows_first_attempt());
                assert_eq!(
                    look_up.attempt_timeout(Some(Duration::from_secs(5))),
                    Some(RetryPolicy::MIN_ATTEMPT)
                );
            })
            .await;
        })
        .await;
    }

    /// `Duration::MAX` means no limit: never an overflow panic, at the start, on a retry or
    /// with a server's huge `Retry-After`.
    #[tokio::test]
    async fn an_unbounded_budget_never_overflows() {
        let unbounded = RetryPolicy::default().max_elapsed(Duration::MAX);
        shared(&unbounded, async {
            let budget = Budget::start(&unbounded);
            assert_eq!(
                budget.attempt_timeout(Some(Duration::from_secs(5))),
                Some(Duration::from_secs(5))
            );
            let _ = budget.retry_delay(&unbounded, 1, Some(Duration::MAX));
        })
        .await;
    }
}
