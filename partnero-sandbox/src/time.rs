//! Timestamps in Partnero's format: ISO-8601 UTC with six fraction digits and `Z`.
//!
//! Every example Partnero documents is a whole second (`2025-05-09T17:42:13.000000Z`), so the
//! sandbox stamps whole seconds too: a client that parses only that shape works here and there.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// The current time, truncated to the second, as `YYYY-MM-DDTHH:MM:SS.000000Z`.
pub(crate) fn now_iso8601() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_unix(since.as_secs(), 0)
}

/// Formats seconds since the Unix epoch plus microseconds (the calendar is the `time` crate's).
/// An instant `time` cannot represent (after the year 9999) is clamped to the epoch rather than
/// panicking: the sandbox only formats "now".
pub(crate) fn format_unix(secs: u64, micros: u32) -> String {
    let nanos = i128::from(secs) * 1_000_000_000 + i128::from(micros) * 1_000;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_else(|_| "1970-01-01T00:00:00.000000Z".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2025-05-09T17:42:13Z, the instant in Partnero's refer-a-friend guide.
        assert_eq!(format_unix(1_746_812_533, 0), "2025-05-09T17:42:13.000000Z");
        assert_eq!(format_unix(951_782_400, 42), "2000-02-29T00:00:00.000042Z");
    }

    #[test]
    fn now_has_the_documented_shape() {
        let s = now_iso8601();
        assert_eq!(s.len(), 27, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T' && s.as_bytes()[19] == b'.');
        assert!(
            s.ends_with(".000000Z"),
            "whole seconds, as Partnero's examples: {s}"
        );
    }
}
