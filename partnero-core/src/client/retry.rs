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
/// use partnero_core::RetryPolicy;
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
    /// 3 attempts, 200 ms base delay, 5 s max delay, 30 s total, 1 s confirm delay.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            confirm_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
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

    /// The time budget for all attempts of one call; no retry starts after it would be exceeded.
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
    /// use partnero_core::RetryPolicy;
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
        if elapsed.saturating_add(delay) > self.max_elapsed {
            return None;
        }
        Some(delay)
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date (IMF-fixdate).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split(' ');
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let h: u64 = hms.next()?.parse().ok()?;
    let m: u64 = hms.next()?.parse().ok()?;
    let s: u64 = hms.next()?.parse().ok()?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, i64::try_from(day).ok()?);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
            p.next_delay(1, Duration::from_secs(30), Some(Duration::from_secs(1))),
            None
        );
        assert_eq!(
            RetryPolicy::none().next_delay(1, Duration::ZERO, None),
            None
        );
    }
}
