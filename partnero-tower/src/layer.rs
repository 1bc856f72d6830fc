//! [`PartneroLayer`]: the one `.layer(...)` that turns on referral capture for a tower stack.

use std::fmt;
use std::sync::Arc;

use partnero_core::{ApiKey, Partnero, TrackingConfig};
use tower_layer::Layer;

use crate::PartneroService;

/// What every clone of the layer and of its services shares: the client and the policy,
/// behind one `Arc`, so that cloning the layer or a service (tower and axum do it per connection
/// and per route) and handing them to each request's pending referral is a single
/// reference-count increment.
pub(crate) type Shared = partnero_core::TrackingState;

/// Applies [`PartneroService`]: captures the referral context of each request, hands it to the
/// handler (with the client) and appends the referral `Set-Cookie` to the response.
///
/// Policy (cookie names, attribution, cookie attributes, crawler and consent rules) is
/// [`TrackingConfig`]'s: set a whole one with [`with_config`](Self::with_config), or change a
/// single knob with the `with_*` shortcuts, which delegate to its builder.
///
/// ```
/// use std::time::Duration;
/// use partnero_core::Attribution;
/// use partnero_tower::PartneroLayer;
///
/// let layer = PartneroLayer::new("sk_test_key")
///     .with_attribution(Attribution::FirstTouch)
///     .with_max_age(Duration::from_secs(60 * 24 * 60 * 60))
///     .with_domain("shop.example");
/// assert_eq!(layer.config().attribution, Attribution::FirstTouch);
/// assert_eq!(layer.config().domain.as_deref(), Some("shop.example"));
/// ```
#[derive(Clone)]
pub struct PartneroLayer {
    shared: Arc<Shared>,
}

impl PartneroLayer {
    /// A layer with a default client for `api_key` and the default [`TrackingConfig`].
    ///
    /// Use [`from_client`](Self::from_client) to configure the client (base URL, timeout,
    /// retries, program kind).
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Self::from_client(Partnero::new(api_key))
    }

    /// A layer around an existing client, with the default [`TrackingConfig`].
    ///
    /// ```
    /// use partnero_core::Partnero;
    /// use partnero_tower::PartneroLayer;
    ///
    /// # fn main() -> Result<(), partnero_core::Error> {
    /// let client = Partnero::builder("sk_test_key")
    ///     .base_url("http://127.0.0.1:8080/v1/")
    ///     .build()?;
    /// let layer = PartneroLayer::from_client(client);
    /// # let _ = layer;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_client(client: Partnero) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                config: TrackingConfig::default(),
            }),
        }
    }

    /// Replaces the whole tracking policy.
    ///
    /// ```
    /// use partnero_core::TrackingConfig;
    /// use partnero_tower::PartneroLayer;
    ///
    /// let config = TrackingConfig::default().add_partner_query_param("via");
    /// let layer = PartneroLayer::new("sk_test_key").with_config(config);
    /// assert_eq!(layer.config().partner.query_params, ["aff", "via"]);
    /// ```
    #[must_use]
    pub fn with_config(self, config: TrackingConfig) -> Self {
        self.map_config(|_| config)
    }

    partnero_core::__tracking_shortcuts!();

    /// The tracking policy in use.
    pub fn config(&self) -> &TrackingConfig {
        &self.shared.config
    }

    /// The client handed to handlers.
    pub fn client(&self) -> &Partnero {
        &self.shared.client
    }

    /// Builder step: replaces the config through its by-value builder. Copies the shared state
    /// only when another clone of this layer already holds it.
    fn map_config(mut self, f: impl FnOnce(TrackingConfig) -> TrackingConfig) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        shared.config = f(std::mem::take(&mut shared.config));
        self
    }
}

impl<S> Layer<S> for PartneroLayer {
    type Service = PartneroService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PartneroService::from_shared(inner, Arc::clone(&self.shared))
    }
}

impl fmt::Debug for PartneroLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartneroLayer")
            .field("client", &self.shared.client) // redacts the API key
            .field("config", &self.shared.config)
            .finish()
    }
}
