//! What `PartneroLayer` (tower) and `PartneroMiddleware` (actix) both offer, written once here
//! so the two adapters cannot drift apart: the constructors, the accessors, the `with_*`
//! shortcuts, and the `Referral` newtype's conversions.

/// Expands, inside a framework adapter's `impl` block, to its constructors (`new`,
/// `from_client`, `with_config`), accessors (`config`, `client`) and the `with_*` shortcuts that
/// delegate to [`TrackingConfig`](crate::TrackingConfig)'s builder. The type must have exactly
/// one field, `state: Arc<TrackingState>`. `$krate` and `$ty` name the adapter crate and type,
/// for the doc examples.
///
/// For the framework crates of this workspace; not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! __adapter_builder {
    ($krate:ident, $ty:ident) => {
        /// With a default [`Partnero`](partnero_client::Partnero) client for `api_key` (default
        /// base URL, affiliate program) and the default
        /// [`TrackingConfig`](partnero_core::TrackingConfig). Use `from_client` to configure the
        /// client (base URL, timeout, retries, program kind).
        ///
        #[doc = concat!(
            "```\nuse ", stringify!($krate), "::", stringify!($ty), ";\n\n",
            "let adapter = ", stringify!($ty), "::new(\"sk_test_key\");\n",
            "assert_eq!(adapter.config().partner.cookie_name, \"partnero_partner\");\n```"
        )]
        pub fn new(api_key: impl ::core::convert::Into<$crate::ApiKey>) -> Self {
            Self::from_client($crate::Partnero::new(api_key))
        }

        /// Around an existing client (a custom base URL, timeout, retry policy, program kind or
        /// `reqwest::Client`), with the default [`TrackingConfig`](partnero_core::TrackingConfig).
        ///
        #[doc = concat!(
            "```\nuse partnero_client::{Partnero, Program};\nuse ", stringify!($krate), "::",
            stringify!($ty), ";\n\n# fn main() -> Result<(), partnero_client::Error> {\n",
            "let client = Partnero::builder(\"sk_test_key\")\n",
            "    .base_url(\"http://127.0.0.1:4010/v1\")\n",
            "    .program(Program::ReferAFriend)\n    .build()?;\n",
            "let adapter = ", stringify!($ty), "::from_client(client);\n",
            "assert_eq!(adapter.client().program(), Program::ReferAFriend);\n# Ok(())\n# }\n```"
        )]
        pub fn from_client(client: $crate::Partnero) -> Self {
            Self {
                state: ::std::sync::Arc::new($crate::TrackingState {
                    client,
                    config: ::partnero_core::TrackingConfig::default(),
                }),
            }
        }

        /// Replaces the whole tracking policy.
        ///
        #[doc = concat!(
            "```\nuse partnero_core::{Attribution, TrackingConfig};\nuse ", stringify!($krate),
            "::", stringify!($ty), ";\n\n",
            "let adapter = ", stringify!($ty), "::new(\"sk_test_key\").with_config(\n",
            "    TrackingConfig::default()\n        .add_partner_query_param(\"via\")\n",
            "        .attribution(Attribution::FirstTouch),\n);\n",
            "assert_eq!(adapter.config().partner.query_params, [\"aff\", \"via\"]);\n```"
        )]
        #[must_use]
        pub fn with_config(self, config: ::partnero_core::TrackingConfig) -> Self {
            self.map_config(|_| config)
        }

        /// The tracking policy in use.
        pub fn config(&self) -> &::partnero_core::TrackingConfig {
            &self.state.config
        }

        /// The client handed to handlers.
        pub fn client(&self) -> &$crate::Partnero {
            &self.state.client
        }

        /// Builder step: replaces the config through its by-value builder. Copies the shared
        /// state only when another clone already holds it.
        fn map_config(
            mut self,
            f: impl FnOnce(::partnero_core::TrackingConfig) -> ::partnero_core::TrackingConfig,
        ) -> Self {
            let state = ::std::sync::Arc::make_mut(&mut self.state);
            state.config = f(::std::mem::take(&mut state.config));
            self
        }

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
        pub fn with_same_site(self, same_site: ::partnero_core::SameSite) -> Self {
            self.map_config(|c| c.same_site(same_site))
        }

        /// Writes a referral cookie the request carries again as a server-set cookie, so one
        /// written by PartneroJS escapes Safari's 7-day cap on script cookies (default off;
        /// the lifetime then slides). See
        /// [`TrackingConfig::renew_cookies`](partnero_core::TrackingConfig::renew_cookies).
        #[must_use]
        pub fn with_renew_cookies(self, renew: bool) -> Self {
            self.map_config(|c| c.renew_cookies(renew))
        }

        /// First- or last-touch attribution (default last-touch). See
        /// [`TrackingConfig::attribution`](partnero_core::TrackingConfig::attribution).
        #[must_use]
        pub fn with_attribution(self, attribution: ::partnero_core::Attribution) -> Self {
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
            F: Fn(&::partnero_core::RequestInfo<'_>) -> bool + Send + Sync + 'static,
        {
            self.map_config(|c| c.consent(hook))
        }
    };
}

/// Expands to the conversions of an adapter's `Referral` newtype over
/// [`ReferralHandle`](crate::ReferralHandle): `into_inner`, `From<ReferralHandle>`, `Deref` and
/// `DerefMut` (so `referral.signup(..)` and `referral.partner_key()` work directly).
///
/// For the framework crates of this workspace; not a stable API.
#[doc(hidden)]
#[macro_export]
macro_rules! __referral_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The handle: the context and the client.
            pub fn into_inner(self) -> $crate::ReferralHandle {
                self.0
            }
        }

        impl ::core::convert::From<$crate::ReferralHandle> for $ty {
            fn from(handle: $crate::ReferralHandle) -> Self {
                Self(handle)
            }
        }

        impl ::core::ops::Deref for $ty {
            type Target = $crate::ReferralHandle;

            fn deref(&self) -> &$crate::ReferralHandle {
                &self.0
            }
        }

        impl ::core::ops::DerefMut for $ty {
            fn deref_mut(&mut self) -> &mut $crate::ReferralHandle {
                &mut self.0
            }
        }
    };
}
