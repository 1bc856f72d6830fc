//! [`ActixHeaders`]: actix-web's (`http` 0.2) header map seen through core's [`Headers`] trait.

use actix_web::http::header::HeaderMap;
use partnero_core::Headers;

/// Lends an actix-web [`HeaderMap`] to core's capture, which names no HTTP library.
pub(crate) struct ActixHeaders<'a>(pub(crate) &'a HeaderMap);

impl Headers for ActixHeaders<'_> {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        for value in self.0.get_all(name) {
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

        let mut none = 0;
        headers.each_value("x-missing", &mut |_| none += 1);
        assert_eq!(none, 0);
    }
}
