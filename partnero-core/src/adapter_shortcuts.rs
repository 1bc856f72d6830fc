//! The `with_*` shortcuts that `PartneroLayer` (tower) and `PartneroMiddleware` (actix) both
//! offer, written once here so the two adapters cannot drift apart.

/// Expands, inside a framework adapter's `impl` block, to the `with_*` shortcut methods that
/// delegate to [`TrackingConfig`](crate::TrackingConfig)'s builder. The type must have a method
/// `fn map_config(self, f: impl FnOnce(TrackingConfig) -> TrackingConfig) -> Self`.
///
/// For the framework crates of this workspace; not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! __tracking_shortcuts {
    () => {
        /// Whether the referral cookie carries `Secure` (default `true`; turn off only for
        /// plain-HTTP development on a non-loopback host). See
        /// [`TrackingConfig::secure`](partnero_core::TrackingConfig::secure).
        #[must_use]
        pub fn with_secure(self, secure: bool) -> Self {
            self.map_config(|c| c.secure(secure))
        }

        /// Whether the referral cookie carries `HttpOnly` (default `false`, so PartneroJS can
        /// still read it). See [`TrackingConfig::http_only`](partnero_core::TrackingConfig::http_only).
        #[must_use]
        pub fn with_http_only(self, http_only: bool) -> Self {
            self.map_config(|c| c.http_only(http_only))
        }

        /// Shares the referral cookie with sub-domains (`Domain=...`). See
        /// [`TrackingConfig::domain`](partnero_core::TrackingConfig::domain).
        #[must_use]
        pub fn with_domain(
            self,
            domain: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>,
        ) -> Self {
            self.map_config(|c| c.domain(domain))
        }

        /// The referral cookie's lifetime, `Max-Age` (default 30 days). See
        /// [`TrackingConfig::max_age`](partnero_core::TrackingConfig::max_age).
        #[must_use]
        pub fn with_max_age(self, max_age: ::std::time::Duration) -> Self {
            self.map_config(|c| c.max_age(max_age))
        }

        /// The referral cookie's `SameSite` (default `Lax`). See
        /// [`TrackingConfig::same_site`](partnero_core::TrackingConfig::same_site).
        #[must_use]
        pub fn with_same_site(self, same_site: $crate::SameSite) -> Self {
            self.map_config(|c| c.same_site(same_site))
        }

        /// First- or last-touch attribution (default last-touch). See
        /// [`TrackingConfig::attribution`](partnero_core::TrackingConfig::attribution).
        #[must_use]
        pub fn with_attribution(self, attribution: $crate::Attribution) -> Self {
            self.map_config(|c| c.attribution(attribution))
        }

        /// Adds an affiliate query parameter name next to `aff` (such as `via`). See
        /// [`TrackingConfig::add_partner_query_param`](partnero_core::TrackingConfig::add_partner_query_param).
        #[must_use]
        pub fn with_partner_query_param(
            self,
            name: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>,
        ) -> Self {
            self.map_config(|c| c.add_partner_query_param(name))
        }

        /// Adds a refer-a-friend query parameter name next to `ref`. See
        /// [`TrackingConfig::add_referrer_query_param`](partnero_core::TrackingConfig::add_referrer_query_param).
        #[must_use]
        pub fn with_referrer_query_param(
            self,
            name: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>,
        ) -> Self {
            self.map_config(|c| c.add_referrer_query_param(name))
        }

        /// Turns on the affiliate path form: `"/aff/"` captures `KEY` from `/aff/KEY`. See
        /// [`TrackingConfig::partner_path_prefix`](partnero_core::TrackingConfig::partner_path_prefix).
        #[must_use]
        pub fn with_partner_path_prefix(
            self,
            prefix: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>,
        ) -> Self {
            self.map_config(|c| c.partner_path_prefix(prefix))
        }

        /// Turns on the refer-a-friend path form: `"/r/"` captures `KEY` from `/r/KEY`. See
        /// [`TrackingConfig::referrer_path_prefix`](partnero_core::TrackingConfig::referrer_path_prefix).
        #[must_use]
        pub fn with_referrer_path_prefix(
            self,
            prefix: impl ::core::convert::Into<::std::borrow::Cow<'static, str>>,
        ) -> Self {
            self.map_config(|c| c.referrer_path_prefix(prefix))
        }

        /// A consent hook: called only when a referral cookie would be set; returning `false`
        /// vetoes the cookie (the context is still captured for the request). See
        /// [`TrackingConfig::consent`](partnero_core::TrackingConfig::consent).
        #[must_use]
        pub fn with_consent<F>(self, hook: F) -> Self
        where
            F: Fn(&$crate::RequestInfo<'_>) -> bool + Send + Sync + 'static,
        {
            self.map_config(|c| c.consent(hook))
        }
    };
}
