//! Reading referral parameters out of a raw query string, allocation-free until a candidate
//! value is found.
//!
//! `application/x-www-form-urlencoded` rules: pairs split on `&`, `name=value`, `+` is a space,
//! `%XX` is a byte. Names are compared byte-for-byte when they hold no `%`/`+` (the fast path),
//! otherwise decoded on the fly without building a string.

/// The `name=value` pairs of a raw query string (without `?`) whose decoded name is one of
/// `names`, in query-string order, with their raw (still encoded) values.
pub(crate) fn matching_values<'q, 'n, N: AsRef<str>>(
    query: &'q str,
    names: &'n [N],
) -> impl Iterator<Item = (&'q str, &'q str)> + use<'q, 'n, N> {
    Pairs { query, pos: 0 }.filter(move |(raw_name, _)| {
        names
            .iter()
            .map(AsRef::as_ref)
            .any(|want| !want.is_empty() && name_eq(raw_name, want))
    })
}

/// The `(name, value)` pairs of a raw query string, split on `&` and the first `=`.
///
/// A byte loop rather than `str::split`/`split_once`: query strings are short, and on every
/// request std's generic pattern searchers cost more here than the scan itself. `&` and `=` are
/// ASCII, so every slice boundary is a char boundary.
// Hot path, hand-written on purpose: partnero-core/benches/capture.rs, BENCHMARKS.md section 1.
struct Pairs<'q> {
    query: &'q str,
    pos: usize,
}

impl<'q> Iterator for Pairs<'q> {
    type Item = (&'q str, &'q str);

    fn next(&mut self) -> Option<(&'q str, &'q str)> {
        let bytes = self.query.as_bytes();
        if self.pos > bytes.len() {
            return None;
        }
        let start = self.pos;
        let mut eq = None;
        let mut end = start;
        while end < bytes.len() && bytes[end] != b'&' {
            if bytes[end] == b'=' && eq.is_none() {
                eq = Some(end);
            }
            end += 1;
        }
        self.pos = end + 1;
        Some(match eq {
            Some(eq) => (&self.query[start..eq], &self.query[eq + 1..end]),
            None => (&self.query[start..end], ""),
        })
    }
}

/// Compares an encoded query parameter name with a configured (plain) name.
fn name_eq(raw: &str, want: &str) -> bool {
    let raw = raw.as_bytes();
    if !raw.iter().any(|b| matches!(b, b'%' | b'+')) {
        return raw == want.as_bytes();
    }
    FormDecoded { raw, at: 0 }.eq(want.bytes())
}

/// Lazily form-decodes bytes: `+` -> space, `%XX` -> byte, a broken `%` stays literal.
struct FormDecoded<'a> {
    raw: &'a [u8],
    at: usize,
}

impl Iterator for FormDecoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.at)?;
        self.at += 1;
        match b {
            b'+' => Some(b' '),
            b'%' => match (self.raw.get(self.at), self.raw.get(self.at + 1)) {
                (Some(&h), Some(&l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    self.at += 2;
                    Some((hex(h) << 4) | hex(l))
                }
                _ => Some(b'%'),
            },
            _ => Some(b),
        }
    }
}

fn hex(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => d - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'q>(query: &'q str, names: &[&str]) -> Vec<&'q str> {
        matching_values(query, names).map(|(_, v)| v).collect()
    }

    #[test]
    fn matches_names_in_query_order() {
        assert_eq!(found("aff=a", &["aff"]), ["a"]);
        assert_eq!(found("x=1&aff=a&via=b", &["via", "aff"]), ["a", "b"]);
        assert_eq!(found("aff", &["aff"]), [""]);
        assert_eq!(found("aff=&aff=b", &["aff"]), ["", "b"]);
        assert_eq!(found("aff=a=b", &["aff"]), ["a=b"]);
        assert!(found("affx=a&xaff=b&AFF=c", &["aff"]).is_empty());
        assert!(found("", &["aff"]).is_empty());
        assert!(found("=a&&", &["aff", ""]).is_empty());
    }

    #[test]
    fn decodes_names_when_needed() {
        assert_eq!(found("%61ff=a", &["aff"]), ["a"]);
        assert_eq!(found("%61%66%66=a", &["aff"]), ["a"]);
        assert_eq!(found("my+ref=a", &["my ref"]), ["a"]);
        assert_eq!(found("a%2=x&a%=y", &["a%2", "a%"]), ["x", "y"]);
        assert!(found("af%66f=a", &["aff"]).is_empty());
    }
}
