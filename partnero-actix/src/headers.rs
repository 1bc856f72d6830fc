//! [`ActixHeaders`]: actix-web's (`http` 0.2) header map seen through core's [`Headers`] trait.

use actix_web::http::header::{self, HeaderMap};
use partnero_core::Headers;

/// Lends an actix-web [`HeaderMap`] to core's capture, which names no HTTP library.
///
/// `get_all(&str)` parses the name on every call; the names capture reads on every request map
/// to constants instead (the same as core's impl for `http` 1.x, which actix's `http` 0.2 types
/// cannot use).
pub(crate) struct ActixHeaders<'a>(pub(crate) &'a HeaderMap);

impl Headers for ActixHeaders<'_> {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        let values = match name {
            "cookie" => self.0.get_all(header::COOKIE),
            "host" => self.0.get_all(header::HOST),
            "user-agent" => self.0.get_all(header::USER_AGENT),
            _ => self.0.get_all(name),
        };
        for value in values {
            f(value.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{COOKIE, HeaderValue, USER_AGENT};

    use super::*;

    #[test]
    fn yields_every_value_of_a_header_in_order() {
        let mut map = HeaderMap::new();
        map.append(COOKIE, HeaderValue::from_static("a=1"));
        map.append(USER_AGENT, HeaderValue::from_static("test"));
        map.append(COOKIE, HeaderValue::from_static("b=2"));
        let headers = ActixHeaders(&map);

        let mut seen = Vec::new();
        headers.each_value("cookie", &mut |v| seen.push(v));
        assert_eq!(seen, [&b"a=1"[..], &b"b=2"[..]]);

        let mut hosts = Vec::new();
        headers.each_value("user-agent", &mut |v| hosts.push(v));
        assert_eq!(hosts, [&b"test"[..]]);

        let mut none = 0;
        headers.each_value("x-missing", &mut |_| none += 1);
        assert_eq!(none, 0);
    }
}
