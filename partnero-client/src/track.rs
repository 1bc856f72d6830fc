//! The tracking helpers: turn a [`ReferralContext`] plus your user or order into API calls.
//!
//! * [`Partnero::signup`] creates the customer with the right referral field for the program
//!   and reports an outcome a handler can `match` (a stale referral key is an outcome, not an
//!   error: the user's sign-up must not fail because of it);
//! * [`Partnero::sale`] records a sale under the double-commission guard;
//! * [`Partnero::refund`] reverses one.
//!
//! [`ReferralHandle`] bundles the context of one request with the client, which is what the
//! framework adapters hand to handlers.
//!
//! ```no_run
//! use rust_decimal::Decimal;
//! use partnero_core::{KeySource, ReferralContext, ReferralKey};
//! use partnero_client::{NewCustomer, Partnero, Sale, SignupOutcome};
//!
//! # async fn run() -> Result<(), partnero_client::Error> {
//! let client = Partnero::from_env()?;
//! let ctx = ReferralContext::new()
//!     .with_partner(ReferralKey::parse("demo-partner").unwrap(), KeySource::Cookie);
//!
//! match client.signup(&ctx, NewCustomer::new("user-42").email("ada@example.com")).await? {
//!     SignupOutcome::Attributed { customer } => println!("referred: {:?}", customer.key),
//!     SignupOutcome::NotReferred { .. } => println!("organic sign-up"),
//!     SignupOutcome::AlreadyExists => println!("known customer"),
//!     SignupOutcome::PartnerKeyUnknown => println!("stale referral cookie"),
//!     other => println!("{other:?}"),
//! }
//!
//! let outcome = client
//!     .sale("user-42", Sale::new(Decimal::new(4999, 2)).key("pay_123").action("sale"))
//!     .await?;
//! println!("commissions: {:?}", outcome.transaction.rewards);
//! client.refund("pay_123").await?;
//! # Ok(()) }
//! ```

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::model::{Customer, CustomerOptions, CustomerRef, PartnerRef, Transaction};
use partnero_core::{ReferralContext, RequestInfo, TrackingConfig};

use crate::{Error, FieldErrors, NewCustomer, Partnero, Program, Sale};

/// What [`Partnero::signup`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SignupOutcome {
    /// The customer was created and attributed to the partner (affiliate) or the referring
    /// customer (refer-a-friend).
    Attributed {
        /// The created customer.
        customer: Customer,
    },
    /// Nobody referred this user. Affiliate programs: no call was made (`customer: None`)
    /// unless [`always_create_customers`](crate::PartneroBuilder::always_create_customers) is
    /// on. Refer-a-friend: the customer was created (so it gets its own referral link).
    NotReferred {
        /// The created customer, when a call was made.
        customer: Option<Customer>,
    },
    /// A customer with this key already exists (422 "Duplicate key" or 409); nothing changed.
    AlreadyExists,
    /// Affiliate: Partnero does not know the partner key (400 "Invalid partner key"); the
    /// customer was not created. Usually a stale cookie or a key of another program.
    PartnerKeyUnknown,
    /// Refer-a-friend: Partnero rejected the referring customer key; the customer was created
    /// without a referrer so it still gets its own referral link.
    ReferrerKeyUnknown {
        /// The customer, created without a referrer.
        customer: Customer,
    },
}

impl SignupOutcome {
    /// True for [`SignupOutcome::Attributed`].
    pub fn is_attributed(&self) -> bool {
        matches!(self, SignupOutcome::Attributed { .. })
    }

    /// The customer created by this call, if any.
    pub fn customer(&self) -> Option<&Customer> {
        match self {
            SignupOutcome::Attributed { customer }
            | SignupOutcome::ReferrerKeyUnknown { customer } => Some(customer),
            SignupOutcome::NotReferred { customer } => customer.as_ref(),
            _ => None,
        }
    }
}

/// What [`Partnero::sale`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SaleOutcome {
    /// The recorded transaction, with the rewards Partnero computed.
    pub transaction: Transaction,
    /// True when the create's own answer was lost (or reported a duplicate) and the
    /// transaction was read back by its key instead: it is recorded exactly once.
    pub recovered: bool,
}

/// What [`Partnero::refund`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundOutcome {
    /// The transaction was deleted and its commission reversed.
    Refunded,
    /// Partnero has no transaction with this key (404): nothing to reverse.
    UnknownTransaction,
}

impl Partnero {
    /// Creates the customer for a sign-up, with the referral the [`ReferralContext`] carries.
    ///
    /// * Affiliate programs: with a partner key (from `ctx`, or already set on `customer`)
    ///   sends `partner.key`; without one, skips the call and returns
    ///   [`SignupOutcome::NotReferred`] (unless
    ///   [`always_create_customers`](crate::PartneroBuilder::always_create_customers)).
    ///   400 "Invalid partner key" (another 400 naming the partner, or a 422 on `partner.*`)
    ///   becomes [`SignupOutcome::PartnerKeyUnknown`].
    /// * Refer-a-friend programs: always creates the customer, with `referring_customer.key`
    ///   when `ctx` has a referrer; if Partnero rejects the referrer (a 400, 404 or 422 whose
    ///   message names the referrer, e.g. "Invalid referring customer", or with errors on
    ///   `referring_customer.*`), creates it again without one and returns
    ///   [`SignupOutcome::ReferrerKeyUnknown`].
    /// * Any other failure is an error, even with a referral: a 404 from a wrong base URL or a
    ///   400 about another field (an invalid e-mail) is not mistaken for a rejected key.
    /// * Both: the landing URL is sent as `options.referral_url` when known; a duplicate key
    ///   is [`SignupOutcome::AlreadyExists`].
    ///
    /// Errors are left for real failures (network, 401, validation of your own fields, ...).
    ///
    /// ```no_run
    /// use partnero_core::ReferralContext;
    /// use partnero_client::{NewCustomer, Partnero, SignupOutcome};
    ///
    /// # async fn run(client: Partnero, ctx: ReferralContext) -> Result<(), partnero_client::Error> {
    /// let outcome = client.signup(&ctx, NewCustomer::new("user-42").email("ada@example.com")).await?;
    /// if let SignupOutcome::Attributed { customer } = &outcome {
    ///     println!("attributed to {:?}", customer.partner);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn signup(
        &self,
        ctx: &ReferralContext,
        customer: NewCustomer,
    ) -> Result<SignupOutcome, Error> {
        let mut customer = customer;
        if let Some(url) = ctx.landing_url() {
            let options = customer
                .options
                .get_or_insert_with(CustomerOptions::default);
            if options.referral_url.is_none() {
                options.referral_url = Some(url.to_owned());
            }
        }
        match self.program() {
            Program::ReferAFriend => self.signup_refer_a_friend(ctx, customer).await,
            _ => self.signup_affiliate(ctx, customer).await,
        }
    }

    async fn signup_affiliate(
        &self,
        ctx: &ReferralContext,
        mut customer: NewCustomer,
    ) -> Result<SignupOutcome, Error> {
        if customer.partner.is_none() {
            if let Some(key) = ctx.partner_key() {
                customer.partner = Some(PartnerRef {
                    key: Some(key.as_str().to_owned()),
                    ..PartnerRef::default()
                });
            }
        }
        let referred = customer.partner.is_some();
        if !referred && !self.always_creates_customers() {
            return Ok(SignupOutcome::NotReferred { customer: None });
        }
        match self.customers().create(&customer).await {
            Ok(created) if referred => Ok(SignupOutcome::Attributed { customer: created }),
            Ok(created) => Ok(SignupOutcome::NotReferred {
                customer: Some(created),
            }),
            Err(Error::Duplicate { .. }) => Ok(SignupOutcome::AlreadyExists),
            Err(e) if referred && rejects_partner_key(&e) => {
                tracing::info!("Partnero does not know the partner key; sign-up not attributed");
                Ok(SignupOutcome::PartnerKeyUnknown)
            }
            Err(e) => Err(e),
        }
    }

    async fn signup_refer_a_friend(
        &self,
        ctx: &ReferralContext,
        mut customer: NewCustomer,
    ) -> Result<SignupOutcome, Error> {
        if customer.referring_customer.is_none() {
            if let Some(key) = ctx.referrer_key() {
                customer.referring_customer = Some(CustomerRef::by_key(key.as_str()));
            }
        }
        let referred = customer.referring_customer.is_some();
        match self.customers().create(&customer).await {
            Ok(created) if referred => Ok(SignupOutcome::Attributed { customer: created }),
            Ok(created) => Ok(SignupOutcome::NotReferred {
                customer: Some(created),
            }),
            Err(Error::Duplicate { .. }) => Ok(SignupOutcome::AlreadyExists),
            Err(e) if referred && rejects_referrer(&e) => {
                tracing::info!(
                    "Partnero rejected the referring customer key; creating the customer without it"
                );
                customer.referring_customer = None;
                match self.customers().create(&customer).await {
                    Ok(created) => Ok(SignupOutcome::ReferrerKeyUnknown { customer: created }),
                    Err(Error::Duplicate { .. }) => Ok(SignupOutcome::AlreadyExists),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Records a sale of the customer with `customer_key` (`POST /transactions`), under the
    /// double-commission guard: never resent unless it surely did not reach Partnero, or a
    /// `GET /transactions/{key}` shows it absent. Give the sale a [`key`](Sale::key).
    ///
    /// ```no_run
    /// use rust_decimal::Decimal;
    /// use partnero_client::{Partnero, Sale};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// let outcome = client.sale("user-42", Sale::new(Decimal::new(4999, 2)).key("pay_123")).await?;
    /// for reward in &outcome.transaction.rewards {
    ///     println!("commission {:?}", reward.amount);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn sale(&self, customer_key: &str, sale: Sale) -> Result<SaleOutcome, Error> {
        let (transaction, recovered) = self
            .transactions()
            .create_guarded(customer_key, &sale)
            .await?;
        Ok(SaleOutcome {
            transaction,
            recovered,
        })
    }

    /// Refunds (deletes) the transaction with this key, reversing its commission.
    ///
    /// ```no_run
    /// use partnero_client::{Partnero, RefundOutcome};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// match client.refund("pay_123").await? {
    ///     RefundOutcome::Refunded => println!("commission reversed"),
    ///     RefundOutcome::UnknownTransaction => println!("Partnero never saw this sale"),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn refund(&self, transaction_key: &str) -> Result<RefundOutcome, Error> {
        match self.transactions().delete(transaction_key).await {
            Ok(()) => Ok(RefundOutcome::Refunded),
            Err(Error::NotFound { .. }) => Ok(RefundOutcome::UnknownTransaction),
            Err(e) => Err(e),
        }
    }
}

/// True when `error` says Partnero rejected the partner key: 400 "Invalid partner key",
/// another 400 whose message mentions the partner, or a 422 on a `partner*` field. Anything
/// else (a 404 from a wrong base URL, a 400 about another field) is a real failure.
pub(crate) fn rejects_partner_key(error: &Error) -> bool {
    match error {
        Error::InvalidPartnerKey => true,
        Error::Api {
            status: 400,
            message,
            ..
        } => mentions(message, "partner"),
        Error::Validation { errors, .. } => errors.keys().any(|k| k.starts_with("partner")),
        _ => false,
    }
}

/// True when `error` says Partnero rejected the referring customer: a 400, 404 or 422 whose
/// message mentions the referrer ("Invalid referring customer") or whose field errors name
/// `referring_customer*`. Anything else (a 404 from a wrong base URL, a 400 about the e-mail)
/// is a real failure.
pub(crate) fn rejects_referrer(error: &Error) -> bool {
    let names_referrer = |message: &str, errors: Option<&FieldErrors>| {
        mentions(message, "referr")
            || errors.is_some_and(|e| e.keys().any(|k| k.starts_with("referring_customer")))
    };
    match error {
        Error::Api {
            status: 400 | 404,
            message,
            errors,
            ..
        }
        | Error::Validation { message, errors } => names_referrer(message, Some(errors)),
        Error::NotFound { message } => names_referrer(message, None),
        _ => false,
    }
}

/// Case-insensitive `contains` for an ASCII `needle`.
fn mentions(message: &str, needle: &str) -> bool {
    message.to_ascii_lowercase().contains(needle)
}

/// The referral context of one request together with the client: what the framework
/// adapters hand to handlers. Derefs to the [`ReferralContext`].
///
/// ```
/// use partnero_core::ReferralContext;
/// use partnero_client::{Partnero, ReferralHandle};
///
/// let handle = ReferralHandle::new(ReferralContext::new(), Partnero::new("sk_test"));
/// assert!(handle.is_empty()); // ReferralContext::is_empty through Deref
/// assert!(handle.partner_key().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct ReferralHandle {
    context: ReferralContext,
    client: Partnero,
}

impl ReferralHandle {
    /// Bundles a context with a client.
    pub fn new(context: ReferralContext, client: Partnero) -> Self {
        Self { context, client }
    }

    /// The referral context.
    pub fn context(&self) -> &ReferralContext {
        &self.context
    }

    /// The API client.
    pub fn client(&self) -> &Partnero {
        &self.client
    }

    /// [`Partnero::signup`] with this request's context.
    pub async fn signup(&self, customer: NewCustomer) -> Result<SignupOutcome, Error> {
        self.client.signup(&self.context, customer).await
    }

    /// [`Partnero::sale`].
    pub async fn sale(&self, customer_key: &str, sale: Sale) -> Result<SaleOutcome, Error> {
        self.client.sale(customer_key, sale).await
    }

    /// [`Partnero::refund`].
    pub async fn refund(&self, transaction_key: &str) -> Result<RefundOutcome, Error> {
        self.client.refund(transaction_key).await
    }
}

impl Deref for ReferralHandle {
    type Target = ReferralContext;

    fn deref(&self) -> &ReferralContext {
        &self.context
    }
}

/// A request's referral as the framework adapters leave it in the request extensions: the
/// part of the context the referral *links* decided (see [`TrackingConfig::capture_links`]),
/// the client and the policy. The `Cookie` header is read through [`resolve`](Self::resolve)
/// ([lazy cookie reading](partnero_core#lazy-cookie-reading)).
///
/// Used by `partnero-tower` and `partnero-actix`; application code takes their `Referral`
/// extractor (or `partnero_tower::referral_handle` outside axum) instead.
///
/// ```
/// use std::sync::Arc;
/// use partnero_core::{RequestInfo, TrackingConfig};
/// use partnero_client::{Partnero, PendingReferral, TrackingState};
///
/// let state = Arc::new(TrackingState { client: Partnero::new("sk_test"), config: TrackingConfig::default() });
/// let config = &state.config;
/// let headers = [("cookie", &b"partnero_partner=demo-partner"[..])];
/// let req = RequestInfo::new("GET", "/", None, &headers);
///
/// let links = config.capture_links(&req);
/// let pending = PendingReferral::new(links.context, Arc::clone(&state));
/// let handle = pending.resolve(&req);
/// assert_eq!(handle.partner_key().unwrap().as_str(), "demo-partner");
/// assert_eq!(*handle.context(), config.capture(&req).context);
///
/// // Resolved once: a second call does not read the cookies again.
/// let other_headers = [("cookie", &b"partnero_partner=someone-else"[..])];
/// let again = pending.resolve(&RequestInfo::new("GET", "/", None, &other_headers));
/// assert!(std::ptr::eq(handle, again));
/// ```
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct PendingReferral {
    context: ReferralContext,
    state: Arc<TrackingState>,
    /// The complete handle, once a handler asked for it: the cookies are read once per request.
    resolved: OnceLock<ReferralHandle>,
}

impl PendingReferral {
    /// Bundles the link phase's context with the client and the policy that produced it (one
    /// shared `Arc`: a single reference-count bump per request).
    pub fn new(context: ReferralContext, state: Arc<TrackingState>) -> Self {
        Self {
            context,
            state,
            resolved: OnceLock::new(),
        }
    }

    /// The complete handle for the same request: the link phase's context with the cookie
    /// keys filled in ([`TrackingConfig::fill_from_cookies`]). Resolved on the first call and
    /// kept: later calls (a second extractor in the same request) return it without reading
    /// the cookies again. `req` must be the request this value was captured from.
    pub fn resolve(&self, req: &RequestInfo<'_>) -> &ReferralHandle {
        self.resolved.get_or_init(|| {
            let mut context = self.context.clone();
            self.state.config.fill_from_cookies(&mut context, req);
            ReferralHandle::new(context, self.state.client.clone())
        })
    }
}

/// What a framework adapter shares between all its requests: the client and the policy.
///
/// For the framework crates of this workspace; not a stable API.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct TrackingState {
    /// The API client handed to handlers.
    pub client: Partnero,
    /// The capture and cookie policy.
    pub config: TrackingConfig,
}

impl TrackingState {
    /// Bundles a client with a policy.
    pub fn new(client: Partnero, config: TrackingConfig) -> Self {
        Self { client, config }
    }

    /// A new shared state with the same client and another policy: what an adapter's
    /// `with_config` builds (clones of the adapter taken before keep the old one).
    pub fn with_config(&self, config: TrackingConfig) -> Arc<Self> {
        Arc::new(Self::new(self.client.clone(), config))
    }
}
