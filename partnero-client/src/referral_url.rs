//! `options.referral_url` within what Partnero accepts: the landing URL never costs a sign-up.
//!
//! Partnero validates strings to 255 characters; a landing URL with a long `utm_*` query (or a
//! long key) would turn the whole sign-up into a 422, resent unchanged on every retry. The URL
//! is cut to fit, and a 422 that still names it sends the sign-up once more without it.

use crate::model::CustomerOptions;
use crate::{Error, NewCustomer};

/// The longest `options.referral_url` Partnero accepts (characters).
pub(crate) const MAX_CHARS: usize = 255;

/// Sets `options.referral_url` to the landing URL when the customer has none, and cuts
/// whatever it holds to [`MAX_CHARS`].
pub(crate) fn attach(customer: &mut NewCustomer, landing_url: Option<&str>) {
    let options = &mut customer.options;
    if let Some(url) = landing_url {
        let options = options.get_or_insert_with(CustomerOptions::default);
        if options.referral_url.is_none() {
            options.referral_url = Some(url.to_owned());
        }
    }
    if let Some(url) = options.as_mut().and_then(|o| o.referral_url.as_mut()) {
        let cut = fit(url).len();
        if cut < url.len() {
            tracing::debug!(
                chars = url.chars().count(),
                "landing URL longer than Partnero's 255 characters; sending its start"
            );
            url.truncate(cut);
        }
    }
}

/// Removes `options.referral_url`; `false` when there was none (nothing to resend without).
pub(crate) fn detach(customer: &mut NewCustomer) -> bool {
    customer
        .options
        .as_mut()
        .and_then(|o| o.referral_url.take())
        .is_some()
}

/// True for a 422 whose field errors name `options.referral_url`.
pub(crate) fn rejected(error: &Error) -> bool {
    matches!(error, Error::Validation { errors, .. }
        if errors.keys().any(|k| k.starts_with("options.referral_url")))
}

/// The longest start of `url` of at most [`MAX_CHARS`] characters that does not end inside
/// a `%XX` escape.
fn fit(url: &str) -> &str {
    let end = url
        .char_indices()
        .nth(MAX_CHARS)
        .map_or(url.len(), |(i, _)| i);
    let mut cut = &url[..end];
    if end < url.len() {
        for back in 1..=2 {
            if cut.len() >= back && cut.as_bytes()[cut.len() - back] == b'%' {
                cut = &cut[..cut.len() - back];
                break;
            }
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_cut_to_255_characters_outside_escapes() {
        let short = "https://shop.example/?aff=k";
        assert_eq!(fit(short), short);
        let long = format!("https://shop.example/?aff=k&u={}", "x".repeat(400));
        assert_eq!(fit(&long).chars().count(), MAX_CHARS);
        let exact = "é".repeat(MAX_CHARS);
        assert_eq!(fit(&exact), exact, "characters, not bytes");
        for pad in 0..3 {
            let escaped = format!("{}{}", "x".repeat(250 + pad), "%C3%A9%C3%A9");
            let cut = fit(&escaped);
            assert!(cut.len() <= MAX_CHARS, "{pad}");
            assert!(
                !cut.ends_with('%') && !cut[..cut.len() - 1].ends_with('%'),
                "{cut}"
            );
        }
    }

    #[test]
    fn attach_keeps_a_given_url_and_cuts_it() {
        let mut c = NewCustomer::new("k");
        attach(&mut c, None);
        assert_eq!(c.options, None);
        attach(
            &mut c,
            Some(&format!("https://a.example/{}", "p".repeat(300))),
        );
        let url = c.options.as_ref().unwrap().referral_url.clone().unwrap();
        assert_eq!(url.chars().count(), MAX_CHARS);
        attach(&mut c, Some("https://other.example/"));
        assert_eq!(c.options.as_ref().unwrap().referral_url, Some(url));
        assert!(detach(&mut c));
        assert!(!detach(&mut c));
    }
}
