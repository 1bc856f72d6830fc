//! [`RequestInfo`]: the few parts of an HTTP request that capture looks at, as plain borrowed data.
//!
//! actix-web 4 is on `http` 0.2 while tower/axum are on `http` 1, so the core never names a
//! framework's request type: an adapter lends the method, path, query and a [`Headers`] view.

/// Read access to a request's headers, whatever HTTP library holds them.
///
/// Implemented for `http::HeaderMap` (feature `http`), for arrays, slices and `Vec`s of
/// `(name, value)` pairs, and for references to any of these (so a `&[(&str, &[u8])]` slice
/// becomes a `&dyn Headers` as `&slice`); an adapter for another library implements it in a
/// few lines.
pub trait Headers {
    /// Calls `f` with each value of the header `name` (given in lowercase), in order.
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8]));
}

impl Headers for [(&str, &[u8])] {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        for (n, v) in self {
            if n.eq_ignore_ascii_case(name) {
                f(v);
            }
        }
    }
}

impl Headers for Vec<(&str, &[u8])> {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        self.as_slice().each_value(name, f);
    }
}

impl<T: Headers + ?Sized> Headers for &T {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        (**self).each_value(name, f);
    }
}

impl<const N: usize> Headers for [(&str, &[u8]); N] {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        self.as_slice().each_value(name, f);
    }
}

/// `HeaderMap::get_all(&str)` parses and validates the name on every call; the names capture
/// reads on every request map to `http`'s constants instead (any other name is parsed).
#[cfg(feature = "http")]
impl Headers for http::HeaderMap {
    fn each_value<'s>(&'s self, name: &str, f: &mut dyn FnMut(&'s [u8])) {
        use http::header;
        static SEC_PURPOSE: header::HeaderName = header::HeaderName::from_static("sec-purpose");
        static PURPOSE: header::HeaderName = header::HeaderName::from_static("purpose");
        let values = match name {
            "cookie" => self.get_all(header::COOKIE),
            "host" => self.get_all(header::HOST),
            "user-agent" => self.get_all(header::USER_AGENT),
            "sec-purpose" => self.get_all(&SEC_PURPOSE),
            "purpose" => self.get_all(&PURPOSE),
            _ => self.get_all(name),
        };
        for v in values {
            f(v.as_bytes());
        }
    }
}

/// The parts of a request that capture and the policy read.
///
/// ```
/// use partnero_core::RequestInfo;
///
/// let headers = [("cookie", &b"a=1; partnero_partner=demo-partner"[..])];
/// let req = RequestInfo::new("GET", "/pricing", Some("aff=x"), &headers);
/// assert_eq!(req.cookie("partnero_partner"), Some(&b"demo-partner"[..]));
/// assert_eq!(req.query(), Some("aff=x"));
/// ```
#[derive(Clone, Copy)]
pub struct RequestInfo<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    headers: &'a dyn Headers,
}

impl<'a> RequestInfo<'a> {
    /// Borrows a request's method, path, raw query string (without `?`) and headers.
    pub fn new(
        method: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        headers: &'a dyn Headers,
    ) -> Self {
        Self {
            method,
            path,
            query,
            scheme: None,
            authority: None,
            headers,
        }
    }

    /// Borrows an `http` 1.x request.
    #[cfg(feature = "http")]
    pub fn from_http<B>(req: &'a http::Request<B>) -> Self {
        Self::from_parts(req.method(), req.uri(), req.headers())
    }

    /// Borrows the method, URI and headers of an `http` 1.x request.
    #[cfg(feature = "http")]
    pub fn from_parts(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
    ) -> Self {
        Self::new(method.as_str(), uri.path(), uri.query(), headers)
            .with_scheme(uri.scheme_str())
            .with_authority(uri.authority().map(http::uri::Authority::as_str))
    }

    /// Sets the scheme (`http`/`https`) when the framework knows it; used for the landing URL.
    #[must_use]
    pub fn with_scheme(mut self, scheme: Option<&'a str>) -> Self {
        self.scheme = scheme;
        self
    }

    /// Sets the authority (`host[:port]`) when the framework knows it from the request target
    /// (HTTP/2 `:authority`, or an absolute-form request line); it takes precedence over `Host`.
    #[must_use]
    pub fn with_authority(mut self, authority: Option<&'a str>) -> Self {
        self.authority = authority;
        self
    }

    /// The request method (`GET`, `HEAD`, ...).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The request path, still percent-encoded.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The raw query string, without the leading `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The scheme, when the adapter knows it.
    pub fn scheme(&self) -> Option<&'a str> {
        self.scheme
    }

    /// The authority (`host[:port]`): the one set with [`with_authority`](Self::with_authority),
    /// else the first `Host` header when it is UTF-8. Used for the landing URL.
    ///
    /// ```
    /// use partnero_core::RequestInfo;
    ///
    /// let headers = [("host", &b"shop.example"[..])];
    /// let req = RequestInfo::new("GET", "/", None, &headers);
    /// assert_eq!(req.authority(), Some("shop.example"));
    /// assert_eq!(req.with_authority(Some("other.example")).authority(), Some("other.example"));
    /// ```
    pub fn authority(&self) -> Option<&'a str> {
        self.authority.or_else(|| {
            self.header("host")
                .and_then(|h| std::str::from_utf8(h).ok())
        })
    }

    /// The headers.
    pub fn headers(&self) -> &'a dyn Headers {
        self.headers
    }

    /// The first value of a header (`name` in lowercase).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        let mut first = None;
        self.headers.each_value(name, &mut |v| {
            if first.is_none() {
                first = Some(v);
            }
        });
        first
    }

    /// The raw (still percent-encoded) value of the first cookie called `name`, across every
    /// `Cookie` header, with surrounding whitespace and DQUOTEs removed. Names are
    /// case-sensitive and match whole names only.
    pub fn cookie(&self, name: &str) -> Option<&'a [u8]> {
        let mut found = None;
        self.headers.each_value("cookie", &mut |header| {
            if found.is_none() {
                found = crate::cookie_header::find_cookie(header, name.as_bytes());
            }
        });
        found
    }
}

impl std::fmt::Debug for RequestInfo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestInfo")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}
