//! [`PartneroLayer`]: the one `.layer(...)` that turns on referral capture for a tower stack.

use std::fmt;
use std::sync::Arc;

use partnero_client::{ApiKey, Partnero, TrackingState};
use partnero_core::TrackingConfig;
use tower_layer::Layer;

use crate::PartneroService;

/// Applies [`PartneroService`]: captures the referral context of each request, hands it to the
/// handler (with the client) and appends the referral `Set-Cookie` to the response.
///
/// Policy (cookie names, attribution, cookie attributes, crawler and consent rules) is
/// [`TrackingConfig`]'s: build one and hand it over with [`with_config`](Self::with_config).
///
/// ```
/// use std::time::Duration;
/// use partnero_tower::{Attribution, PartneroLayer, TrackingConfig};
///
/// let layer = PartneroLayer::new("sk_test_key").with_config(
///     TrackingConfig::default()
///         .attribution(Attribution::FirstTouch)
///         .max_age(Duration::from_secs(60 * 24 * 60 * 60))
///         .domain("shop.example"),
/// );
/// assert_eq!(layer.config().get_attribution(), Attribution::FirstTouch);
/// assert_eq!(layer.config().get_domain(), Some("shop.example"));
/// ```
#[derive(Clone)]
pub struct PartneroLayer {
    /// The client and the policy, behind one `Arc`: cloning the layer or a service (tower and
    /// axum do it per connection and per route) and handing the state to each request's
    /// pending referral is a single reference-count increment.
    state: Arc<TrackingState>,
}

impl PartneroLayer {
    /// With a default [`Partnero`] client for `api_key` (default base URL, affiliate program)
    /// and the default [`TrackingConfig`]. Use [`from_client`](Self::from_client) to configure
    /// the client (base URL, timeout, retries, program kind).
    ///
    /// ```
    /// use partnero_tower::PartneroLayer;
    ///
    /// let layer = PartneroLayer::new("sk_test_key");
    /// assert_eq!(layer.config().partner().cookie_name(), "partnero_partner");
    /// ```
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Self::from_client(Partnero::new(api_key))
    }

    /// With a client configured from the environment exactly as [`Partnero::from_env`] reads
    /// it (`PARTNERO_API_KEY`, and `PARTNERO_BASE_URL` / `PARTNERO_PROGRAM` when set), and the
    /// default [`TrackingConfig`]. A missing key or a malformed base URL or program is an
    /// [`Error::Config`](partnero_client::Error::Config) naming the variable, at start-up.
    /// Follow it with [`client().check()`](Partnero::check) to verify the key, the base URL
    /// and the program against Partnero itself.
    ///
    /// ```no_run
    /// use partnero_tower::{PartneroLayer, TrackingConfig};
    ///
    /// # async fn run() -> Result<(), partnero_tower::Error> {
    /// let layer = PartneroLayer::from_env()?.with_config(TrackingConfig::default().landing_url_cookie(true));
    /// layer.client().check().await?; // one line saying what is wrong, if anything
    /// # Ok(()) }
    /// ```
    pub fn from_env() -> Result<Self, partnero_client::Error> {
        Partnero::from_env().map(Self::from_client)
    }

    /// Around an existing client (a custom base URL, timeout, retry policy, program kind or
    /// `reqwest::Client`), with the default [`TrackingConfig`].
    ///
    /// ```
    /// use partnero_tower::{Partnero, PartneroLayer, Program};
    ///
    /// # fn main() -> Result<(), partnero_tower::Error> {
    /// let client = Partnero::builder("sk_test_key")
    ///     .base_url("http://127.0.0.1:4010/v1")
    ///     .program(Program::ReferAFriend)
    ///     .build()?;
    /// let layer = PartneroLayer::from_client(client);
    /// assert_eq!(layer.client().program(), Program::ReferAFriend);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_client(client: Partnero) -> Self {
        Self {
            state: Arc::new(TrackingState::new(client, TrackingConfig::default())),
        }
    }

    /// Replaces the tracking policy. Clones of the layer taken before keep theirs.
    ///
    /// ```
    /// use partnero_tower::{Attribution, PartneroLayer, TrackingConfig};
    ///
    /// let layer = PartneroLayer::new("sk_test_key").with_config(
    ///     TrackingConfig::default()
    ///         .add_partner_query_param("via")
    ///         .attribution(Attribution::FirstTouch),
    /// );
    /// assert_eq!(layer.config().partner().query_params(), ["aff", "via"]);
    /// ```
    #[must_use]
    pub fn with_config(mut self, config: TrackingConfig) -> Self {
        self.state = self.state.with_config(config);
        self
    }

    /// The tracking policy in use.
    pub fn config(&self) -> &TrackingConfig {
        &self.state.config
    }

    /// The client handed to handlers.
    pub fn client(&self) -> &Partnero {
        &self.state.client
    }
}

impl<S> Layer<S> for PartneroLayer {
    type Service = PartneroService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PartneroService::from_state(inner, Arc::clone(&self.state))
    }
}

impl fmt::Debug for PartneroLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartneroLayer")
            .field("client", &self.state.client) // redacts the API key
            .field("config", &self.state.config)
            .finish()
    }
}
