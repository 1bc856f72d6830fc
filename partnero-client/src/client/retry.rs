//! [`RetryPolicy`]: how often and how patiently failed requests are repeated.
//!
//! Which failures are retried depends on the request (see the crate docs, "Retries"); this
//! file holds the limits and the delay computation: full-jitter exponential backoff, with the
//! server's `Retry-After` honoured when it fits within the limits.

use std::time::{Duration, SystemTime};

/// Limits for retrying a failed request.
///
/// ```
/// use std::time::Duration;
/// use partnero_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(100));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::none().attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
    confirm_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 200 ms base delay, 5 s max delay, 10 s total, 1 s confirm delay: a budget
    /// that fits inside a web request (see [`max_elapsed`](Self::max_elapsed)).
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(10),
            confirm_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The least time an attempt is given: a retry, and within a tracking helper any request,
    /// starts only with this much of the budget left (otherwise it is not sent:
    /// [`Error::BudgetSpent`](crate::Error::BudgetSpent)); the confirm look-up of a sale or a
    /// refund gets it even when the budget is spent.
    pub const MIN_ATTEMPT: Duration = Duration::from_secs(1);

    /// Never retry: one attempt per request.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Total attempts including the first (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff delay; it doubles per attempt (before jitter).
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest single wait. A `Retry-After` longer than this is not waited for: the
    /// error ([`Error::RateLimited`](crate::Error::RateLimited)) is returned with its value.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The time budget for all attempts of one call (default 10 s). Each attempt's timeout is
    /// cut to what is left of it, and a retry starts only with at least
    /// [`MIN_ATTEMPT`](Self::MIN_ATTEMPT) left. The helpers [`signup`](crate::Partnero::signup),
    /// [`sale`](crate::Partnero::sale) and [`refund`](crate::Partnero::refund) share one budget
    /// across all the calls they make.
    ///
    /// Within a helper, a request that would start with less than
    /// [`MIN_ATTEMPT`](Self::MIN_ATTEMPT) of the shared budget left is not sent
    /// ([`Error::BudgetSpent`](crate::Error::BudgetSpent): nothing reached Partnero). The time
    /// spent includes any confirm wait of a transaction create. The confirm check itself (the
    /// wait and one `GET /transactions/{key}`, or a refund's look-up after an ambiguous
    /// failure) is not a retry: it still runs when the budget is spent, with
    /// [`MIN_ATTEMPT`](Self::MIN_ATTEMPT) to answer, because only it can tell a recorded sale
    /// from a lost one. So a sign-up waits at most the budget, a refund at most the budget and
    /// one second, and a sale at most the budget, the confirm delay and one second.
    #[must_use]
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// How long a transaction create waits, after a failure that may hide a recorded
    /// transaction (timeout, dropped connection, 5xx), before it reads
    /// `GET /transactions/{key}` to find out (default 1 s). It is a floor: a longer backoff
    /// delay or `Retry-After` is waited instead. See [`Transactions`](crate::Transactions).
    ///
    /// ```
    /// use std::time::Duration;
    /// use partnero_client::RetryPolicy;
    ///
    /// let policy = RetryPolicy::default().confirm_delay(Duration::from_secs(2));
    /// assert_eq!(policy.confirm_wait(), Duration::from_secs(2));
    /// assert_eq!(RetryPolicy::default().confirm_wait(), Duration::from_secs(1));
    /// ```
    #[must_use]
    pub fn confirm_delay(mut self, delay: Duration) -> Self {
        self.confirm_delay = delay;
        self
    }

    /// Total attempts including the first.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The budget set with [`max_elapsed`](Self::max_elapsed).
    pub fn budget(&self) -> Duration {
        self.max_elapsed
    }

    /// The confirm delay set with [`confirm_delay`](Self::confirm_delay).
    pub fn confirm_wait(&self) -> Duration {
        self.confirm_delay
    }

    /// The wait before attempt `failed_attempt + 1`, or `None` when the policy says stop.
    ///
    /// `retry_after` (from the server) is used as is when present; otherwise the delay is
    /// uniformly random in `[0, min(max_delay, base_delay * 2^(failed_attempt-1))]`.
    pub(crate) fn next_delay(
        &self,
        failed_attempt: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if failed_attempt >= self.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(wait) if wait > self.max_delay => return None,
            Some(wait) => wait,
            None => {
                let exp = failed_attempt.saturating_sub(1).min(20);
                let cap = self
                    .base_delay
                    .saturating_mul(1u32 << exp)
                    .min(self.max_delay);
                let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
                Duration::from_millis(fastrand::u64(0..=cap_ms))
            }
        };
        if elapsed
            .saturating_add(delay)
            .saturating_add(Self::MIN_ATTEMPT)
            > self.max_elapsed
        {
            return None;
        }
        Some(delay)
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date in any of the three forms
/// RFC 9110 (section 5.6.7) says a recipient must accept: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`), through
/// [`httpdate`].
///
/// Never panics: the header comes from the network and is read on every response. Anything
/// else (a number too large for `u64`, an out-of-range field, a year before 1970 or after 9999)
/// is `None`, and the caller falls back to its own backoff.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn retry_after_accepts_the_three_http_date_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        for value in [
            "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
            "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850
            "Sun Nov  6 08:49:37 1994",       // obsolete asctime
        ] {
            assert_eq!(
                parse_retry_after(value, now),
                Some(Duration::from_secs(7)),
                "{value}"
            );
        }
        // Surrounding white space is not part of the value.
        assert_eq!(
            parse_retry_after("  Sun Nov  6 08:49:37 1994 ", now),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn absurd_or_malformed_dates_are_none_not_a_panic() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        for value in [
            "Sun, 06 Nov 999999999999 08:49:37 GMT",
            "Sun, 06 Nov 18446744073709551615 08:49:37 GMT",
            "Sun, 99 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 0000 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 UTC",
            "Sun Nov 06 08:49:37 94",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Növ 1994 08:49:37 GMT",
            "99999999999999999999999",
            "+5",
            "-1",
            "1.5",
        ] {
            assert_eq!(parse_retry_after(value, now), None, "{value}");
        }
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).map(|d| d > Duration::ZERO),
            Some(true)
        );
        assert_eq!(
            parse_retry_after("Thu, 29 Feb 2024 00:00:00 GMT", now).map(|d| d > Duration::ZERO),
            Some(true)
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    proptest::proptest! {
        #[test]
        fn any_header_value_parses_without_panicking(value in "\\PC{0,40}") {
            let _ = parse_retry_after(&value, SystemTime::now());
        }

        #[test]
        fn any_numbers_in_a_date_parse_without_panicking(
            day in 0u64..40,
            year in proptest::num::u64::ANY,
            h in 0u64..30,
            m in 0u64..70,
            s in 0u64..70,
        ) {
            let value = format!("Sun, {day:02} Nov {year:04} {h:02}:{m:02}:{s:02} GMT");
            let _ = parse_retry_after(&value, SystemTime::now());
        }

        #[test]
        fn formatted_dates_parse_back_to_the_same_wait(secs in 0u64..253_402_300_800) {
            let now = SystemTime::UNIX_EPOCH;
            let at = now + Duration::from_secs(secs);
            let value = httpdate::fmt_http_date(at);
            proptest::prop_assert_eq!(
                parse_retry_after(&value, now),
                Some(Duration::from_secs(secs)),
                "{}",
                value
            );
        }
    }

    #[test]
    fn delays_stay_within_limits() {
        let p = RetryPolicy::default();
        for attempt in 1..3 {
            let d = p.next_delay(attempt, Duration::ZERO, None).unwrap();
            assert!(d <= Duration::from_millis(200 * (1 << (attempt - 1))));
        }
        assert_eq!(p.next_delay(3, Duration::ZERO, None), None);
        assert_eq!(
            p.next_delay(1, Duration::ZERO, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            p.next_delay(1, Duration::ZERO, Some(Duration::from_secs(60))),
            None
        );
        assert_eq!(
            p.next_delay(1, Duration::from_secs(8), Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1)),
            "one second of the 10 s budget is left for the attempt"
        );
        assert_eq!(
            p.next_delay(
                1,
                Duration::from_millis(8_500),
                Some(Duration::from_secs(1))
            ),
            None
        );
        assert_eq!(
            RetryPolicy::none().next_delay(1, Duration::ZERO, None),
            None
        );
    }
}
