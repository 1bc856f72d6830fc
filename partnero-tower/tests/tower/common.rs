//! What the modules share.

/// The `Set-Cookie` value the default policy renders for `demo-partner`.
pub(crate) const DEFAULT_SET_COOKIE: &str =
    "partnero_partner=demo-partner; Max-Age=2592000; Path=/; SameSite=Lax; Secure";
