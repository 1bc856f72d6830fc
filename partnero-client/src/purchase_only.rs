//! The "no sign-up, only a purchase" flow of Partnero's FAQ in one call: the customer is
//! created together with its first sale (`options.create_customer`), carrying its e-mail,
//! names and the referral a [`ReferralContext`] holds, so the sale earns its commission.
//!
//! ```no_run
//! use rust_decimal::Decimal;
//! use partnero_core::{KeySource, ReferralContext, ReferralKey};
//! use partnero_client::{NewCustomer, Partnero, PurchaseReferral, Sale};
//!
//! # async fn run() -> Result<(), partnero_client::Error> {
//! let client = Partnero::from_env()?;
//! let ctx = ReferralContext::new()
//!     .with_partner(ReferralKey::parse("demo-partner").unwrap(), KeySource::Cookie);
//! let outcome = client
//!     .purchase(
//!         &ctx,
//!         NewCustomer::new("buyer@example.com").email("buyer@example.com").name("Ada"),
//!         Sale::new(Decimal::new(4999, 2)).key("order-1").action("sale"),
//!     )
//!     .await?;
//! if outcome.referral == PurchaseReferral::Referred {
//!     println!("commissions: {:?}", outcome.transaction.rewards);
//! }
//! # Ok(()) }
//! ```

use partnero_core::ReferralContext;

use crate::client::transactions::SaleCustomer;
use crate::model::{CustomerOptions, CustomerRef, PartnerRef, Transaction};
use crate::track::{ReferralHandle, rejects_partner_key, rejects_referrer};
use crate::{Error, NewCustomer, Partnero, Program, Sale};

/// What [`Partnero::purchase`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PurchaseOutcome {
    /// The recorded sale, with the rewards Partnero computed (empty when nobody is credited).
    pub transaction: Transaction,
    /// True when the create's own answer was lost and the sale was read back by its key: it is
    /// recorded exactly once.
    pub recovered: bool,
    /// What became of the referral.
    pub referral: PurchaseReferral,
}

/// The referral part of a [`PurchaseOutcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PurchaseReferral {
    /// The partner (affiliate) or referring customer (refer-a-friend) was sent with the new
    /// customer and accepted. A customer Partnero already knew keeps its earlier attribution;
    /// the transaction's rewards say who was credited.
    Referred,
    /// Neither the context nor the customer named a referral; the sale was recorded as is.
    NotReferred,
    /// Partnero rejected the partner or referrer key (a stale cookie, a key of another
    /// program); the sale was recorded without it, so it is not lost.
    ReferralKeyUnknown,
}

impl Partnero {
    /// Records a purchase of a customer that may not exist in Partnero yet, creating it with
    /// the sale: the FAQ's flow for sites with purchases but no sign-up, in one call.
    ///
    /// * The sale is sent with `options.create_customer: true` and the whole `customer`
    ///   (key, e-mail, names, tags, metadata) under `customer`.
    /// * The referral comes from `customer` when set there, otherwise from `ctx`: affiliate
    ///   programs send `customer.partner.key`, refer-a-friend programs
    ///   `customer.referring_customer.key`; the landing URL goes to `options.referral_url`.
    /// * If Partnero rejects the referral key (400 "Invalid partner key" and the like: nothing
    ///   was recorded), the sale is sent again without it and the outcome says
    ///   [`PurchaseReferral::ReferralKeyUnknown`]: a stale cookie never loses a sale.
    /// * The double-commission guard of [`Transactions`](crate::Transactions) applies: give
    ///   the sale a [`key`](Sale::key).
    ///
    /// The sale is sent even when nobody referred the customer (a customer created earlier
    /// by [`signup`](Self::signup) keeps its attribution and earns its partner the commission).
    pub async fn purchase(
        &self,
        ctx: &ReferralContext,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        self.purchase_with(CreateMode::Guarded, ctx, customer, sale)
            .await
    }

    /// [`purchase`](Self::purchase) without the double-commission guard: each request is sent
    /// **once** (the referral decisions are the same, and a refused referral key still gets the
    /// sale sent again without it: a refusal means nothing was recorded). An unknown outcome
    /// (a timeout, a 5xx, a dropped connection) comes back as the error
    /// ([`Error::is_ambiguous`]): the caller must look the sale up by key before any resend.
    ///
    /// For a durable dispatcher that keeps the "sent, outcome unknown" state itself, as
    /// `partnero-outbox` does for its purchase events; anyone else wants
    /// [`purchase`](Self::purchase).
    ///
    /// ```no_run
    /// use rust_decimal::Decimal;
    /// use partnero_core::ReferralContext;
    /// use partnero_client::{NewCustomer, Partnero, Sale};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// let sale = Sale::new(Decimal::new(4999, 2)).key("order-1");
    /// match client.purchase_once(&ReferralContext::new(), NewCustomer::new("buyer-1"), sale).await {
    ///     Ok(outcome) => println!("recorded, {:?}", outcome.referral),
    ///     Err(e) if e.is_ambiguous() => println!("maybe recorded: look order-1 up before resending"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn purchase_once(
        &self,
        ctx: &ReferralContext,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        self.purchase_with(CreateMode::Once, ctx, customer, sale)
            .await
    }

    async fn purchase_with(
        &self,
        send: CreateMode,
        ctx: &ReferralContext,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        let mut customer = customer;
        let referred = attribute(self.program(), ctx, &mut customer);
        let sale = sale.create_customer(true);
        let first = send.create(self, &customer, &sale).await;
        let (referral, (transaction, recovered)) = match first {
            Ok(created) if referred => (PurchaseReferral::Referred, created),
            Ok(created) => (PurchaseReferral::NotReferred, created),
            Err(e) if referred && rejects_referral(&e) => {
                tracing::info!(
                    "Partnero rejected the referral key; recording the purchase without it"
                );
                customer.partner = None;
                customer.referring_customer = None;
                let created = send.create(self, &customer, &sale).await?;
                (PurchaseReferral::ReferralKeyUnknown, created)
            }
            Err(e) => return Err(e),
        };
        Ok(PurchaseOutcome {
            transaction,
            recovered,
            referral,
        })
    }
}

/// How [`Partnero::purchase_with`] sends each create.
#[derive(Debug, Clone, Copy)]
enum CreateMode {
    /// Under the double-commission guard (look up, resend only when absent).
    Guarded,
    /// One request, its error returned as is.
    Once,
}

impl CreateMode {
    /// The transaction, and whether it was read back by key.
    async fn create(
        self,
        client: &Partnero,
        customer: &NewCustomer,
        sale: &Sale,
    ) -> Result<(Transaction, bool), Error> {
        let transactions = client.transactions();
        let customer = SaleCustomer::Full(customer);
        match self {
            CreateMode::Guarded => transactions.create_guarded_with(customer, sale).await,
            CreateMode::Once => transactions
                .create_once_with(customer, sale)
                .await
                .map(|t| (t, false)),
        }
    }
}

impl PurchaseReferral {
    /// `referred`, `not_referred` or `referral_key_unknown` (for logs and stored outcomes).
    pub fn as_str(self) -> &'static str {
        match self {
            PurchaseReferral::Referred => "referred",
            PurchaseReferral::NotReferred => "not_referred",
            PurchaseReferral::ReferralKeyUnknown => "referral_key_unknown",
        }
    }
}

impl ReferralHandle {
    /// [`Partnero::purchase`] with this request's context.
    pub async fn purchase(
        &self,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        self.client().purchase(self.context(), customer, sale).await
    }
}

/// True when Partnero refused the sale because of its referral: the sign-up helpers' checks,
/// plus field errors on the nested `customer.partner*` / `customer.referring_customer*`.
fn rejects_referral(error: &Error) -> bool {
    rejects_partner_key(error)
        || rejects_referrer(error)
        || error.field_errors().is_some_and(|fields| {
            fields.keys().any(|k| {
                k.starts_with("customer.partner") || k.starts_with("customer.referring_customer")
            })
        })
}

/// Puts the context's referral on `customer` (unless it names one already) and the landing URL
/// in `options.referral_url`; true when the customer now carries a referral.
fn attribute(program: Program, ctx: &ReferralContext, customer: &mut NewCustomer) -> bool {
    if let Some(url) = ctx.landing_url() {
        let options = customer
            .options
            .get_or_insert_with(CustomerOptions::default);
        options.referral_url.get_or_insert_with(|| url.to_owned());
    }
    match program {
        Program::ReferAFriend => {
            if customer.referring_customer.is_none() {
                customer.referring_customer =
                    ctx.referrer_key().map(|k| CustomerRef::by_key(k.as_str()));
            }
            customer.referring_customer.is_some()
        }
        _ => {
            if customer.partner.is_none() {
                customer.partner = ctx.partner_key().map(|k| PartnerRef {
                    key: Some(k.as_str().to_owned()),
                    ..PartnerRef::default()
                });
            }
            customer.partner.is_some()
        }
    }
}
