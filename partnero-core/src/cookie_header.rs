//! Finding one cookie by name in a raw `Cookie` header value, without parsing the others.
//!
//! Hand-written rather than using the `cookie` crate on purpose: this runs on every request, and
//! almost every request carries no referral cookie. Parsing the whole header (as `CookieJar` or
//! `Cookie::split_parse` do) costs an allocation per cookie and microseconds per request; a
//! `memmem` search for the name plus a boundary check costs tens of nanoseconds and allocates
//! nothing. The header is attacker-controlled, so the code only slices, never indexes past a
//! bound it has checked, and treats anything unexpected as "not this cookie".

use memchr::memmem::Finder;

/// The raw value of the first cookie called `name` in one `Cookie` header value: still
/// percent-encoded, surrounding whitespace and RFC 6265 DQUOTEs removed.
pub(crate) fn find_cookie<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    CookieValues::new(header, &Finder::new(name)).next()
}

/// Every value of the cookie `name` in one `Cookie` header value, in header order.
///
/// Browsers send duplicates when cookies of the same name exist for several paths or domains,
/// most specific first. Names match exactly (case-sensitive) and only on pair boundaries:
/// `xpartnero_partner=1` and `a=partnero_partner=1` hold no `partnero_partner` cookie.
///
/// The searcher for the name is built by the caller: building a `memmem` searcher costs more
/// than running it over a typical header, so capture builds one per configured name, once.
// Hot path, hand-written on purpose: partnero-core/benches/capture.rs, BENCHMARKS.md section 1.
pub(crate) struct CookieValues<'h, 'n> {
    header: &'h [u8],
    name: &'n Finder<'n>,
    /// Where the next search starts.
    pos: usize,
}

impl<'h, 'n> CookieValues<'h, 'n> {
    pub(crate) fn new(header: &'h [u8], name: &'n Finder<'n>) -> Self {
        // An empty name would match everywhere; it is never a cookie we look for.
        let pos = if name.needle().is_empty() {
            header.len() + 1
        } else {
            0
        };
        Self { header, name, pos }
    }
}

impl<'h> Iterator for CookieValues<'h, '_> {
    type Item = &'h [u8];

    fn next(&mut self) -> Option<&'h [u8]> {
        let header = self.header;
        loop {
            let rest = header.get(self.pos..)?;
            let start = self.pos + self.name.find(rest)?;
            let after_name = start + self.name.needle().len();
            self.pos = start + 1;
            if !starts_pair(header, start) {
                continue;
            }
            // `name` [spaces] `=`: anything else (`partnero_partner_x=`) is another cookie.
            let eq = after_name + skip_spaces(&header[after_name..]);
            if header.get(eq) != Some(&b'=') {
                continue;
            }
            let value_start = eq + 1;
            let value_end = memchr::memchr(b';', &header[value_start..])
                .map_or(header.len(), |off| value_start + off);
            self.pos = value_end;
            return Some(unquote(header[value_start..value_end].trim_ascii()));
        }
    }
}

/// True when `at` is the start of a `name=value` pair: the header start, or only spaces/tabs
/// back to a `;`.
fn starts_pair(header: &[u8], at: usize) -> bool {
    match header[..at].iter().rposition(|b| *b != b' ' && *b != b'\t') {
        None => true,
        Some(i) => header[i] == b';',
    }
}

fn skip_spaces(s: &[u8]) -> usize {
    s.iter().take_while(|b| **b == b' ' || **b == b'\t').count()
}

/// Removes one pair of surrounding DQUOTEs (`name="value"`, RFC 6265 §4.1.1).
fn unquote(v: &[u8]) -> &[u8] {
    match v {
        [b'"', inner @ .., b'"'] => inner,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all<'h>(header: &'h str, name: &str) -> Vec<&'h str> {
        CookieValues::new(header.as_bytes(), &Finder::new(name.as_bytes()))
            .map(|v| std::str::from_utf8(v).unwrap())
            .collect()
    }

    #[test]
    fn finds_on_boundaries_only() {
        let n = "partnero_partner";
        assert_eq!(all("partnero_partner=a", n), ["a"]);
        assert_eq!(all("x=1; partnero_partner=a; y=2", n), ["a"]);
        assert_eq!(all("x=1;partnero_partner=a;y=2", n), ["a"]);
        assert_eq!(all("x=1;  \tpartnero_partner = a ;y=2", n), ["a"]);
        assert!(all("xpartnero_partner=a", n).is_empty());
        assert!(all("partnero_partner_x=a", n).is_empty());
        assert!(all("a=partnero_partner=b", n).is_empty());
        assert!(all("a=x partnero_partner=b", n).is_empty());
        assert!(all("Partnero_Partner=a", n).is_empty());
        assert!(all("partnero_partner", n).is_empty());
        assert!(all("partnero_partner;", n).is_empty());
        assert!(all("", n).is_empty());
        assert!(all("anything", "").is_empty());
    }

    #[test]
    fn value_edges() {
        let n = "p";
        assert_eq!(all("p=", n), [""]);
        assert_eq!(all("p=;q=1", n), [""]);
        assert_eq!(all("p=\"quoted\"", n), ["quoted"]);
        assert_eq!(all("p=\"\"", n), [""]);
        assert_eq!(all("p=\"", n), ["\""]);
        assert_eq!(all("p=a=b", n), ["a=b"]);
        assert_eq!(all("p=1; p=2;p=3", n), ["1", "2", "3"]);
        assert_eq!(all("q=p=1; p=2", n), ["2"]);
    }

    #[test]
    fn first_only() {
        assert_eq!(find_cookie(b"a=1; a=2", b"a"), Some(&b"1"[..]));
        assert_eq!(find_cookie(b"b=1", b"a"), None);
    }
}
