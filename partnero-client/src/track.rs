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
//! println!("commissions: {:?}", outcome.transaction().map(|t| &t.rewards));
//! client.refund("pay_123").await?;
//! # Ok(()) }
//! ```

use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::client::budget;
use crate::client::transactions::Deletion;
use crate::model::{Customer, CustomerRef, CustomerSearch, PartnerRef, Transaction};
use crate::{referral_url, report};
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
    /// Another customer already has this e-mail (422 on `email`): the customer was **not**
    /// created. Usually the same person signing up again under a new account id; sales under
    /// the new key will be [`SaleOutcome::CustomerUnknown`]. Record them under `existing`
    /// (or update the old customer's key).
    EmailTaken {
        /// The key of the customer that has the e-mail, when `GET /customers:search` found it.
        existing: Option<String>,
    },
    /// The visitor carries only a referral key of the **other** program kind (a
    /// `partnero_referral` key while this client works for an affiliate program, or a
    /// `partnero_partner` key for a refer-a-friend program): the client's program is wrong, or
    /// the site runs two programs and this key belongs to the other one. Logged at `WARN` with
    /// the fix. See [`PartneroBuilder::program`](crate::PartneroBuilder::program): when the
    /// program was not set, the client first asks Partnero which it is.
    OtherProgramKey {
        /// The program kind the visitor's key belongs to.
        key_program: Program,
        /// Refer-a-friend: the customer, created without a referrer (it still gets its own
        /// referral link). Affiliate: `None`, no call was made.
        customer: Option<Customer>,
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
            SignupOutcome::NotReferred { customer }
            | SignupOutcome::OtherProgramKey { customer, .. } => customer.as_ref(),
            _ => None,
        }
    }

    /// A short `snake_case` name of the outcome, as logged and counted (`attributed`,
    /// `not_referred`, `created_not_referred`, `already_exists`, `email_taken`,
    /// `partner_key_unknown`, `referrer_key_unknown`, `other_program_key`).
    ///
    /// ```
    /// use partnero_client::SignupOutcome;
    ///
    /// assert_eq!(SignupOutcome::AlreadyExists.label(), "already_exists");
    /// ```
    pub fn label(&self) -> &'static str {
        match self {
            SignupOutcome::Attributed { .. } => "attributed",
            SignupOutcome::NotReferred { customer: None } => "not_referred",
            SignupOutcome::NotReferred { customer: Some(_) } => "created_not_referred",
            SignupOutcome::AlreadyExists => "already_exists",
            SignupOutcome::PartnerKeyUnknown => "partner_key_unknown",
            SignupOutcome::ReferrerKeyUnknown { .. } => "referrer_key_unknown",
            SignupOutcome::EmailTaken { .. } => "email_taken",
            SignupOutcome::OtherProgramKey { .. } => "other_program_key",
        }
    }
}

/// What [`Partnero::sale`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SaleOutcome {
    /// The sale was recorded by this call.
    Recorded {
        /// The recorded transaction, with the rewards Partnero computed.
        transaction: Transaction,
        /// True when the create's own answer was lost (or reported a duplicate) and the
        /// transaction was read back by its key instead: it is recorded exactly once.
        recovered: bool,
    },
    /// A sale with this key was already recorded (an earlier call: a double-clicked button, a
    /// retried webhook): nothing was posted, no second commission. See
    /// [`PartneroBuilder::look_up_sales`](crate::PartneroBuilder::look_up_sales).
    AlreadyRecorded {
        /// The transaction recorded earlier.
        transaction: Transaction,
    },
    /// Partnero has no customer with this key (422 "The selected customer does not exist"):
    /// nothing was recorded. In an affiliate program that is a customer nobody referred
    /// (the sign-up made no call, or Partnero ignored it), whose sales earn no commission; in
    /// a refer-a-friend program, a customer whose sign-up never reached Partnero.
    CustomerUnknown,
}

impl SaleOutcome {
    /// The transaction, recorded now or before; `None` for
    /// [`CustomerUnknown`](Self::CustomerUnknown).
    pub fn transaction(&self) -> Option<&Transaction> {
        match self {
            SaleOutcome::Recorded { transaction, .. }
            | SaleOutcome::AlreadyRecorded { transaction } => Some(transaction),
            SaleOutcome::CustomerUnknown => None,
        }
    }

    /// True when this call's create answer was lost and the sale was read back by key.
    pub fn recovered(&self) -> bool {
        matches!(
            self,
            SaleOutcome::Recorded {
                recovered: true,
                ..
            }
        )
    }

    /// `recorded`, `already_recorded` or `customer_unknown`, as logged and counted.
    pub fn label(&self) -> &'static str {
        match self {
            SaleOutcome::Recorded { .. } => "recorded",
            SaleOutcome::AlreadyRecorded { .. } => "already_recorded",
            SaleOutcome::CustomerUnknown => "customer_unknown",
        }
    }
}

/// What [`Partnero::refund`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundOutcome {
    /// Partnero answered the delete: the transaction is deleted and its commission reversed.
    Refunded,
    /// Partnero has no transaction with this key (404 to the first attempt): nothing to
    /// reverse.
    UnknownTransaction,
    /// An attempt failed ambiguously (a 5xx, a timeout, a dropped connection), a later one
    /// answered 404, and the transaction is not found by key: the first attempt may have
    /// deleted it, or the sale was never recorded, or it is **still being recorded** and will
    /// keep its commission. Reconcile later with
    /// [`transactions().get(key)`](crate::Transactions::get): found means refund again.
    Unconfirmed,
}

impl RefundOutcome {
    /// `refunded`, `unknown_transaction` or `unconfirmed`, as logged and counted.
    pub fn label(&self) -> &'static str {
        match self {
            RefundOutcome::Refunded => "refunded",
            RefundOutcome::UnknownTransaction => "unknown_transaction",
            RefundOutcome::Unconfirmed => "unconfirmed",
        }
    }
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
    /// * A visitor with only the other program kind's key is
    ///   [`SignupOutcome::OtherProgramKey`]. When the program was not set, the first sign-up
    ///   asks Partnero which it is (`GET /test`, once per client; see
    ///   [`PartneroBuilder::program`](crate::PartneroBuilder::program)).
    /// * Any other failure is an error, even with a referral: a 404 from a wrong base URL or a
    ///   400 about another field (an invalid e-mail) is not mistaken for a rejected key.
    /// * Both: the landing URL is sent as `options.referral_url` when known, cut to Partnero's
    ///   255 characters; a 422 on `options.referral_url` sends the sign-up once more without
    ///   it (the URL never costs the attribution). A duplicate key is
    ///   [`SignupOutcome::AlreadyExists`], an e-mail another key has is
    ///   [`SignupOutcome::EmailTaken`].
    ///
    /// Errors are left for real failures (network, 401, validation of your own fields, ...).
    /// Every call logs one event (target `partnero`, outcome and reason) and counts
    /// `partnero_signups_total{outcome}`; all its requests share one
    /// [`RetryPolicy::max_elapsed`](crate::RetryPolicy::max_elapsed) budget.
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
        let result =
            budget::shared(&self.inner.retry, self.signup_within_budget(ctx, customer)).await;
        report::signup(ctx, &result, self.inner.durable);
        result
    }

    async fn signup_within_budget(
        &self,
        ctx: &ReferralContext,
        mut customer: NewCustomer,
    ) -> Result<SignupOutcome, Error> {
        referral_url::attach(&mut customer, ctx.landing_url());
        // The program set or learned, else (once per client) the one `GET /test` names.
        match self.learn_program().await? {
            Program::ReferAFriend => self.signup_refer_a_friend(ctx, customer).await,
            Program::Newsletter => Err(newsletter_has_no_customers()),
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
        let other = other_program_key(Program::Affiliate, ctx, &customer);
        if !referred && !self.always_creates_customers() {
            return Ok(unreferred(other, None));
        }
        match self.create_customer(&mut customer).await {
            Ok(created) if referred => Ok(SignupOutcome::Attributed { customer: created }),
            Ok(created) => Ok(unreferred(other, Some(created))),
            Err(e) if referred && rejects_partner_key(&e) => Ok(SignupOutcome::PartnerKeyUnknown),
            Err(e) => self.signup_refused(&customer, e).await,
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
        let other = other_program_key(Program::ReferAFriend, ctx, &customer);
        match self.create_customer(&mut customer).await {
            Ok(created) if referred => Ok(SignupOutcome::Attributed { customer: created }),
            Ok(created) => Ok(unreferred(other, Some(created))),
            Err(e) if referred && rejects_referrer(&e) => {
                customer.referring_customer = None;
                match self.create_customer(&mut customer).await {
                    Ok(created) => Ok(SignupOutcome::ReferrerKeyUnknown { customer: created }),
                    Err(e) => self.signup_refused(&customer, e).await,
                }
            }
            Err(e) => self.signup_refused(&customer, e).await,
        }
    }

    /// `POST /customers`; a 422 on `options.referral_url` sends it once more without the URL.
    async fn create_customer(&self, customer: &mut NewCustomer) -> Result<Customer, Error> {
        match self.customers().create(customer).await {
            Err(e) if referral_url::rejected(&e) && referral_url::detach(customer) => {
                tracing::debug!(error = %e, "Partnero refused options.referral_url; sending the sign-up without it");
                self.customers().create(customer).await
            }
            other => other,
        }
    }

    /// The outcome of a create Partnero refused: an existing key or e-mail is an outcome,
    /// anything else an error.
    async fn signup_refused(
        &self,
        customer: &NewCustomer,
        error: Error,
    ) -> Result<SignupOutcome, Error> {
        match (&error, customer.email.as_deref()) {
            (Error::Duplicate { .. }, _) => Ok(SignupOutcome::AlreadyExists),
            (_, Some(email)) if takes_email(&error) => Ok(SignupOutcome::EmailTaken {
                existing: self.customer_with_email(email).await,
            }),
            _ => Err(error),
        }
    }

    /// The key of the customer with exactly this e-mail (a search may also match others).
    async fn customer_with_email(&self, email: &str) -> Option<String> {
        let page = self
            .customers()
            .search(&CustomerSearch::new().email(email))
            .await
            .ok()?;
        page.data
            .into_iter()
            .filter(|c| {
                c.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .find_map(|c| c.key)
    }

    /// Records a sale of the customer with `customer_key` (`POST /transactions`), under the
    /// double-commission guard: never resent unless it surely did not reach Partnero, or a
    /// `GET /transactions/{key}` shows it absent. Give the sale a [`key`](Sale::key).
    ///
    /// A keyed sale is first looked up by its key: found, it is
    /// [`SaleOutcome::AlreadyRecorded`] and nothing is posted, so calling `sale` twice for one
    /// payment never pays twice (two calls at the very same moment still can: see
    /// [`PartneroBuilder::look_up_sales`](crate::PartneroBuilder::look_up_sales), which also
    /// turns the look-up off). A customer Partnero does not know is
    /// [`SaleOutcome::CustomerUnknown`], not an error. One event (target `partnero`) and
    /// `partnero_sales_total{outcome}` per call.
    ///
    /// ```no_run
    /// use rust_decimal::Decimal;
    /// use partnero_client::{Partnero, Sale};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// let outcome = client.sale("user-42", Sale::new(Decimal::new(4999, 2)).key("pay_123")).await?;
    /// for reward in outcome.transaction().map(|t| &t.rewards[..]).unwrap_or_default() {
    ///     println!("commission {:?}", reward.amount);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn sale(&self, customer_key: &str, sale: Sale) -> Result<SaleOutcome, Error> {
        let result = budget::shared(
            &self.inner.retry,
            self.sale_within_budget(customer_key, &sale),
        )
        .await;
        report::sale(self.program(), &result, self.inner.durable);
        result
    }

    async fn sale_within_budget(
        &self,
        customer_key: &str,
        sale: &Sale,
    ) -> Result<SaleOutcome, Error> {
        if let Some(key) = sale.key.as_deref().filter(|_| self.inner.look_up_sales) {
            if !customer_key.trim().is_empty() {
                if let Some(transaction) = self.recorded_sale(key, customer_key).await? {
                    return Ok(SaleOutcome::AlreadyRecorded { transaction });
                }
            }
        }
        match self.transactions().create_guarded(customer_key, sale).await {
            Ok((transaction, recovered)) => Ok(SaleOutcome::Recorded {
                transaction,
                recovered,
            }),
            Err(e) if e.is_unknown_customer() => Ok(SaleOutcome::CustomerUnknown),
            Err(e) => Err(e),
        }
    }

    /// The sale recorded earlier with `key` for `customer_key` (`GET /transactions/{key}`),
    /// looked up before a keyed sale or purchase is posted; `None` when there is none. A key
    /// another customer's sale has is an [`Error::InvalidInput`]: it is not this sale, and
    /// posting it would record a second transaction under one key. A transaction Partnero
    /// returns without its customer counts as this customer's.
    pub async fn recorded_sale(
        &self,
        key: &str,
        customer_key: &str,
    ) -> Result<Option<Transaction>, Error> {
        match self.transactions().get(key).await {
            Ok(found) => match found.customer.as_ref().and_then(|c| c.key.as_deref()) {
                Some(other) if other != customer_key => Err(Error::InvalidInput(format!(
                    "transaction key {key} is already used by another customer's sale: give each sale its own key"
                ))),
                _ => Ok(Some(found)),
            },
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Refunds (deletes) the transaction with this key, reversing its commission.
    ///
    /// [`RefundOutcome::Refunded`] only when Partnero answered the delete. When an attempt
    /// failed ambiguously and a later one answered 404, the key is looked up: found, it is
    /// deleted again; absent, the outcome is [`RefundOutcome::Unconfirmed`] (the sale may
    /// still be on its way, and keep its commission). One event (target `partnero`) and
    /// `partnero_refunds_total{outcome}` per call.
    ///
    /// ```no_run
    /// use partnero_client::{Partnero, RefundOutcome};
    ///
    /// # async fn run(client: Partnero) -> Result<(), partnero_client::Error> {
    /// match client.refund("pay_123").await? {
    ///     RefundOutcome::Refunded => println!("commission reversed"),
    ///     RefundOutcome::UnknownTransaction => println!("Partnero never saw this sale"),
    ///     RefundOutcome::Unconfirmed => println!("look it up again later"),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn refund(&self, transaction_key: &str) -> Result<RefundOutcome, Error> {
        let result = budget::shared(
            &self.inner.retry,
            self.refund_within_budget(transaction_key),
        )
        .await;
        report::refund(&result, self.inner.durable);
        result
    }

    async fn refund_within_budget(&self, key: &str) -> Result<RefundOutcome, Error> {
        match self.transactions().delete_reporting(key).await? {
            Deletion::Deleted => return Ok(RefundOutcome::Refunded),
            Deletion::NotFound {
                after_ambiguous: false,
            } => return Ok(RefundOutcome::UnknownTransaction),
            Deletion::NotFound {
                after_ambiguous: true,
            } => {}
        }
        // The 404 may follow our own earlier delete, or precede a sale still being recorded.
        match budget::confirming(self.transactions().get(key)).await {
            Ok(_) => {}
            Err(Error::NotFound { .. }) => return Ok(RefundOutcome::Unconfirmed),
            // An outage, a refused key: not an answer about the transaction.
            Err(e) => return Err(e),
        }
        match self.transactions().delete_reporting(key).await? {
            Deletion::Deleted => Ok(RefundOutcome::Refunded),
            Deletion::NotFound { .. } => Ok(RefundOutcome::Unconfirmed),
        }
    }
}

/// What the sign-up and purchase helpers answer for a newsletter program: it has subscribers,
/// not customers or sales (its API key gets 403 on `/customers` and `/transactions`).
pub(crate) fn newsletter_has_no_customers() -> Error {
    Error::InvalidInput(
        "the sign-up and purchase helpers are for affiliate and refer-a-friend programs; a newsletter program records subscribers (Partnero::subscribers)".to_owned(),
    )
}

/// The program kind of the visitor's key when it is only the other one's: the context (or
/// the customer) has no key for `program` but has one for the other kind.
fn other_program_key(
    program: Program,
    ctx: &ReferralContext,
    customer: &NewCustomer,
) -> Option<Program> {
    match program {
        Program::ReferAFriend => (customer.referring_customer.is_none()
            && ctx.referrer_key().is_none()
            && (ctx.partner_key().is_some() || customer.partner.is_some()))
        .then_some(Program::Affiliate),
        _ => (customer.partner.is_none()
            && ctx.partner_key().is_none()
            && (ctx.referrer_key().is_some() || customer.referring_customer.is_some()))
        .then_some(Program::ReferAFriend),
    }
}

/// The outcome of a sign-up without a key of the client's program: `other` is the program of
/// the key the visitor carries instead, if any.
fn unreferred(other: Option<Program>, customer: Option<Customer>) -> SignupOutcome {
    match other {
        Some(key_program) => SignupOutcome::OtherProgramKey {
            key_program,
            customer,
        },
        None => SignupOutcome::NotReferred { customer },
    }
}

/// True for a 422 saying the e-mail is taken (another customer has it).
fn takes_email(error: &Error) -> bool {
    matches!(error, Error::Validation { errors, .. } if errors.get("email").is_some_and(|m| {
        m.iter().any(|m| mentions(m, "taken") || mentions(m, "exist"))
    }))
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
