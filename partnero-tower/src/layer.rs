//! [`PartneroLayer`]: the one `.layer(...)` that turns on referral capture for a tower stack.

use std::fmt;
use std::sync::Arc;

use partnero_client::TrackingState;
#[cfg(doc)]
use partnero_core::TrackingConfig;
use tower_layer::Layer;

use crate::PartneroService;

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
    /// The client and the policy, behind one `Arc`: cloning the layer or a service (tower and
    /// axum do it per connection and per route) and handing the state to each request's
    /// pending referral is a single reference-count increment.
    state: Arc<TrackingState>,
}

impl PartneroLayer {
    partnero_client::__adapter_builder!(partnero_tower, PartneroLayer);
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
