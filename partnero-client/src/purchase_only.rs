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
//! if outcome.referral() == Some(PurchaseReferral::Referred) {
//!     println!("commissions: {:?}", outcome.transaction().rewards);
//! }
//! # Ok(()) }
//! ```

use partnero_core::ReferralContext;

use crate::client::budget;
use crate::client::transactions::SaleCustomer;
use crate::model::{CustomerRef, PartnerRef, Transaction};
use crate::track::{ReferralHandle, rejects_partner_key, rejects_referrer};
use crate::{Error, NewCustomer, Partnero, Program, Sale, referral_url, report};

/// What [`Partnero::purchase`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PurchaseOutcome {
    /// The sale was recorded by this call (its customer created with it when new).
    Recorded {
        /// The recorded sale, with the rewards Partnero computed (empty when nobody is
        /// credited).
        transaction: Transaction,
        /// True when the create's own answer was lost and the sale was read back by its key:
        /// it is recorded exactly once.
        recovered: bool,
        /// What became of the referral.
        referral: PurchaseReferral,
    },
    /// A sale with this key was already recorded (an earlier call: a double-clicked button, a
    /// retried webhook): nothing was posted, no second commission. See
    /// [`PartneroBuilder::look_up_sales`](crate::PartneroBuilder::look_up_sales).
    AlreadyRecorded {
        /// The transaction recorded earlier.
        transaction: Transaction,
    },
}

impl PurchaseOutcome {
    /// The transaction, recorded now or before.
    pub fn transaction(&self) -> &Transaction {
        match self {
            PurchaseOutcome::Recorded { transaction, .. }
            | PurchaseOutcome::AlreadyRecorded { transaction } => transaction,
        }
    }

    /// True when this call's create answer was lost and the sale was read back by key.
    pub fn recovered(&self) -> bool {
        matches!(
            self,
            PurchaseOutcome::Recorded {
                recovered: true,
                ..
            }
        )
    }

    /// What became of the referral; `None` when nothing was posted.
    pub fn referral(&self) -> Option<PurchaseReferral> {
        match self {
            PurchaseOutcome::Recorded { referral, .. } => Some(*referral),
            PurchaseOutcome::AlreadyRecorded { .. } => None,
        }
    }

    /// `recorded`, `recorded_without_referral` or `already_recorded`, as logged and counted
    /// (with the sales, under `partnero_sales_total`).
    pub fn label(&self) -> &'static str {
        match self {
            PurchaseOutcome::Recorded {
                referral: PurchaseReferral::ReferralKeyUnknown,
                ..
            } => "recorded_without_referral",
            PurchaseOutcome::Recorded { .. } => "recorded",
            PurchaseOutcome::AlreadyRecorded { .. } => "already_recorded",
        }
    }
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
    ///   the sale a [`key`](Sale::key). A keyed purchase is first looked up by its key, as
    ///   [`sale`](Self::sale) does: found, it is [`PurchaseOutcome::AlreadyRecorded`] and
    ///   nothing is posted (two calls at the very same moment can still both post: see
    ///   [`PartneroBuilder::look_up_sales`](crate::PartneroBuilder::look_up_sales), and
    ///   `partnero-outbox` for the full guarantee).
    /// * The landing URL is cut to Partnero's 255 characters, and a 422 that still names it
    ///   sends the purchase once more without it.
    /// * All its requests share one [`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed)
    ///   budget; one `partnero purchase` event and `partnero_sales_total{outcome}` per call.
    ///
    /// The sale is sent even when nobody referred the customer (a customer created earlier
    /// by [`signup`](Self::signup) keeps its attribution and earns its partner the commission).
    pub async fn purchase(
        &self,
        ctx: &ReferralContext,
        customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        let result = budget::shared(
            &self.inner.retry,
            self.purchase_with(CreateMode::Guarded, ctx, customer, sale),
        )
        .await;
        report::purchase(&result, self.inner.durable);
        result
    }

    /// [`purchase`](Self::purchase) without the double-commission guard: each request is sent
    /// **once**, and nothing is looked up first (the referral and landing-URL decisions are
    /// the same: a refusal means nothing was recorded, so the sale is sent again without what
    /// was refused). An unknown outcome (a timeout, a 5xx, a dropped connection) comes back as
    /// the error ([`Error::is_ambiguous`]): the caller must look the sale up by key before any
    /// resend.
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
    ///     Ok(outcome) => println!("recorded, {:?}", outcome.referral()),
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
        mut customer: NewCustomer,
        sale: Sale,
    ) -> Result<PurchaseOutcome, Error> {
        // The program set or learned, else (once per client) the one `GET /test` names, as a
        // sign-up does: an unset program never sends a refer-a-friend key as a partner's.
        let program = self.learn_program().await?;
        if program == Program::Newsletter {
            return Err(crate::track::newsletter_has_no_customers());
        }
        let looks_up = matches!(send, CreateMode::Guarded) && self.inner.look_up_sales;
        if let Some(key) = sale.key.as_deref().filter(|_| looks_up) {
            if let Some(transaction) = self.recorded_sale(key, &customer.key).await? {
                return Ok(PurchaseOutcome::AlreadyRecorded { transaction });
            }
        }
        let referred = attribute(program, ctx, &mut customer);
        let sale = sale.create_customer(true);
        let (referral, (transaction, recovered)) =
            match send.create(self, &mut customer, &sale).await {
                Ok(created) if referred => (PurchaseReferral::Referred, created),
                Ok(created) => (PurchaseReferral::NotReferred, created),
                Err(e) if referred && rejects_referral(&e) => {
                    tracing::info!(
                        "Partnero rejected the referral key; recording the purchase without it"
                    );
                    customer.partner = None;
                    customer.referring_customer = None;
                    let created = send.create(self, &mut customer, &sale).await?;
                    (PurchaseReferral::ReferralKeyUnknown, created)
                }
                Err(e) => return Err(e),
            };
        Ok(PurchaseOutcome::Recorded {
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
    /// The transaction, and whether it was read back by key. A 422 on the customer's
    /// `options.referral_url` (nothing recorded) sends it once more without the URL.
    async fn create(
        self,
        client: &Partnero,
        customer: &mut NewCustomer,
        sale: &Sale,
    ) -> Result<(Transaction, bool), Error> {
        match self.create_as_is(client, customer, sale).await {
            Err(e) if rejects_url(&e) && referral_url::detach(customer) => {
                tracing::debug!(error = %e, "Partnero refused the landing URL; sending the purchase without it");
                self.create_as_is(client, customer, sale).await
            }
            other => other,
        }
    }

    async fn create_as_is(
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

/// True for a 422 naming the customer's `options.referral_url` (nested under `customer`).
fn rejects_url(error: &Error) -> bool {
    error.field_errors().is_some_and(|fields| {
        fields
            .keys()
            .any(|k| k.starts_with("customer.options.referral_url"))
    }) || referral_url::rejected(error)
}

/// Puts the context's referral on `customer` (unless it names one already) and the landing URL
/// in `options.referral_url`, cut to what Partnero accepts; true when the customer now
/// carries a referral.
fn attribute(program: Program, ctx: &ReferralContext, customer: &mut NewCustomer) -> bool {
    referral_url::attach(customer, ctx.landing_url());
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
