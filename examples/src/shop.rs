//! The shop's behaviour, framework-free: both the axum and the actix shop parse the request,
//! call one of these functions, and render its answer. Nothing here knows either framework.

use partnero_core::{NewCustomer, ReferralHandle, RefundOutcome, Sale, SaleOutcome, SignupOutcome};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::setup::ProgramChoice;
use crate::store::{Store, StoreError, User};

/// The name of the shop's own login cookie.
pub const SESSION_COOKIE: &str = "shop_session";

/// One running shop: its store and the program it runs.
#[derive(Debug)]
pub struct Shop {
    /// Users, sessions, orders.
    pub store: Store,
    /// The Partnero program.
    pub program: ProgramChoice,
    /// `axum` or `actix`, shown on pages.
    pub framework: &'static str,
}

impl Shop {
    /// A new, empty shop.
    pub fn new(framework: &'static str, program: ProgramChoice) -> Shop {
        Shop {
            store: Store::default(),
            program,
            framework,
        }
    }

    /// The logged-in user, from the request's `Cookie` header values.
    pub fn session_user<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
    ) -> Option<User> {
        cookie_headers
            .into_iter()
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == SESSION_COOKIE)
            .find_map(|c| self.store.user_for_session(c.value()))
    }
}

/// The `Set-Cookie` value that logs a user in.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax")
}

/// A sign-up request (form or JSON).
#[derive(Debug, Clone, Deserialize)]
pub struct SignupInput {
    /// E-mail address.
    pub email: String,
    /// Name.
    pub name: String,
}

/// A purchase request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurchaseInput {
    /// The shop's order id.
    pub order_id: String,
    /// The amount paid.
    pub amount: Decimal,
}

/// A refund request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundInput {
    /// The order to refund.
    pub order_id: String,
}

/// What the Partnero call did, as the shop reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartneroReport {
    /// A short machine-readable outcome (`attributed`, `not_referred`, `recorded`, `reversed`, `error`, ...).
    pub outcome: String,
    /// Who the customer is attributed to, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referred_by: Option<String>,
    /// Commission amounts Partnero computed (sales).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub rewards: Vec<Decimal>,
    /// A human-readable detail (errors).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

impl PartneroReport {
    fn outcome(outcome: &str) -> PartneroReport {
        PartneroReport {
            outcome: outcome.to_owned(),
            referred_by: None,
            rewards: Vec::new(),
            detail: None,
        }
    }

    fn error(err: &partnero_core::Error) -> PartneroReport {
        tracing::warn!(error = %err, "Partnero call failed; the shop carries on");
        PartneroReport {
            detail: Some(err.to_string()),
            ..PartneroReport::outcome("error")
        }
    }
}

/// The answer to `POST /signup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignupReply {
    /// The new user's id (also its Partnero customer key).
    pub user_id: String,
    /// What Partnero made of it.
    pub partnero: PartneroReport,
}

/// The answer to `POST /purchase`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurchaseReply {
    /// The order id.
    pub order_id: String,
    /// The amount.
    pub amount: Decimal,
    /// The Partnero transaction key.
    pub transaction_key: String,
    /// What Partnero made of it.
    pub partnero: PartneroReport,
}

/// The answer to `POST /refund`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundReply {
    /// The order id.
    pub order_id: String,
    /// Always true: the shop refunded the order.
    pub refunded: bool,
    /// What Partnero made of it.
    pub partnero: PartneroReport,
}

/// Why the shop refused a request; each maps to an HTTP status and a JSON body.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The body could not be read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No session cookie, or an unknown one.
    #[error("log in first (POST /signup)")]
    NotLoggedIn,
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ShopError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            ShopError::BadRequest(_) => 400,
            ShopError::NotLoggedIn => 401,
            ShopError::Store(StoreError::EmailTaken | StoreError::DuplicateOrder(_)) => 409,
            ShopError::Store(StoreError::UnknownOrder(_)) => 404,
            ShopError::Store(StoreError::AlreadyRefunded(_)) => 409,
        }
    }

    /// The JSON body for this error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.to_string() })
    }
}

/// Parses a body as JSON when the content type says so, as a URL-encoded form otherwise.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<T, ShopError> {
    let is_json = content_type.is_some_and(|ct| ct.trim_start().starts_with("application/json"));
    if is_json {
        serde_json::from_slice(body).map_err(|e| ShopError::BadRequest(e.to_string()))
    } else {
        serde_urlencoded::from_bytes(body).map_err(|e| ShopError::BadRequest(e.to_string()))
    }
}

/// `POST /signup`: registers the user in the shop, then tells Partnero. The sign-up succeeds
/// whatever Partnero answers; its answer is reported. Returns the reply and the session token.
pub async fn signup(
    shop: &Shop,
    referral: &ReferralHandle,
    input: SignupInput,
) -> Result<(SignupReply, String), ShopError> {
    let email = input.email.trim();
    let name = input.name.trim();
    if email.is_empty() || !email.contains('@') {
        return Err(ShopError::BadRequest(
            "a valid e-mail address is required".into(),
        ));
    }
    if name.is_empty() {
        return Err(ShopError::BadRequest("a name is required".into()));
    }
    let (user, token) = shop.store.register(email, name)?;
    let customer = NewCustomer::new(user.id.clone()).email(email).name(name);
    let partnero = match referral.signup(customer).await {
        Ok(outcome) => signup_report(referral, &outcome),
        Err(err) => PartneroReport::error(&err),
    };
    Ok((
        SignupReply {
            user_id: user.id,
            partnero,
        },
        token,
    ))
}

fn signup_report(referral: &ReferralHandle, outcome: &SignupOutcome) -> PartneroReport {
    let referred_by = referral
        .partner_key()
        .or(referral.referrer_key())
        .map(|k| k.as_str().to_owned());
    match outcome {
        SignupOutcome::Attributed { .. } => PartneroReport {
            referred_by,
            ..PartneroReport::outcome("attributed")
        },
        SignupOutcome::NotReferred { .. } => PartneroReport::outcome("not_referred"),
        SignupOutcome::AlreadyExists => PartneroReport::outcome("already_exists"),
        SignupOutcome::PartnerKeyUnknown => PartneroReport {
            detail: referred_by.map(|k| format!("Partnero does not know the partner key {k}")),
            ..PartneroReport::outcome("partner_key_unknown")
        },
        SignupOutcome::ReferrerKeyUnknown { .. } => PartneroReport {
            detail: referred_by
                .map(|k| format!("Partnero does not know the referring customer {k}")),
            ..PartneroReport::outcome("referrer_key_unknown")
        },
        _ => PartneroReport::outcome("other"),
    }
}

/// `POST /purchase`: records the order, then reports the sale to Partnero.
pub async fn purchase(
    shop: &Shop,
    referral: &ReferralHandle,
    user: Option<User>,
    input: PurchaseInput,
) -> Result<PurchaseReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    if input.amount <= Decimal::ZERO {
        return Err(ShopError::BadRequest("amount must be positive".into()));
    }
    if input.order_id.trim().is_empty() {
        return Err(ShopError::BadRequest("order_id is required".into()));
    }
    let order = shop
        .store
        .add_order(&user, input.order_id.trim(), input.amount)?;
    let sale = Sale::new(order.amount)
        .key(order.transaction_key.clone())
        .product_id(order.order_id.clone());
    let partnero = match referral.sale(&user.id, sale).await {
        Ok(outcome) => sale_report(&outcome),
        Err(err) => PartneroReport::error(&err),
    };
    Ok(PurchaseReply {
        order_id: order.order_id,
        amount: order.amount,
        transaction_key: order.transaction_key,
        partnero,
    })
}

fn sale_report(outcome: &SaleOutcome) -> PartneroReport {
    PartneroReport {
        rewards: outcome
            .transaction
            .rewards
            .iter()
            .filter_map(|r| r.amount)
            .collect(),
        ..PartneroReport::outcome("recorded")
    }
}

/// `POST /refund`: refunds the order in the shop, then reverses the sale in Partnero.
pub async fn refund(
    shop: &Shop,
    referral: &ReferralHandle,
    user: Option<User>,
    input: RefundInput,
) -> Result<RefundReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    let order = shop.store.refund_order(&user, input.order_id.trim())?;
    let partnero = match referral.refund(&order.transaction_key).await {
        Ok(RefundOutcome::Refunded) => PartneroReport::outcome("reversed"),
        Ok(RefundOutcome::UnknownTransaction) => PartneroReport::outcome("unknown_transaction"),
        Ok(_) => PartneroReport::outcome("other"),
        Err(err) => PartneroReport::error(&err),
    };
    Ok(RefundReply {
        order_id: order.order_id,
        refunded: true,
        partnero,
    })
}

/// One line of a refer-a-friend balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceLine {
    /// The amount.
    pub amount: Decimal,
    /// Its unit (a currency code, or points).
    pub units: Option<String>,
}

/// The answer to `GET /dashboard`, read from the Partnero API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DashboardReply {
    /// The user's id (its Partnero customer key).
    pub user_id: String,
    /// The program the shop runs.
    pub program: String,
    /// Affiliate: the partner the user is attributed to. Refer-a-friend: the friend who referred them.
    pub referred_by: Option<String>,
    /// Refer-a-friend: the user's own referral link.
    pub referral_link: Option<String>,
    /// Refer-a-friend: the keys of the friends this user referred.
    pub referrals: Vec<String>,
    /// Refer-a-friend: clicks on the user's referral link.
    pub clicks: Option<u64>,
    /// Refer-a-friend: the user's reward balance.
    pub balance: Vec<BalanceLine>,
    /// Set when Partnero could not be read; the rest is then partial.
    pub partnero_error: Option<String>,
}

/// `GET /dashboard`: what Partnero knows about the logged-in user.
pub async fn dashboard(
    shop: &Shop,
    client: &partnero_core::Partnero,
    user: Option<User>,
) -> Result<DashboardReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    let mut reply = DashboardReply {
        user_id: user.id.clone(),
        program: shop.program.label().to_owned(),
        ..DashboardReply::default()
    };
    if let Err(err) = fill_dashboard(shop.program, client, &user.id, &mut reply).await {
        reply.partnero_error = Some(err.to_string());
    }
    Ok(reply)
}

async fn fill_dashboard(
    program: ProgramChoice,
    client: &partnero_core::Partnero,
    key: &str,
    reply: &mut DashboardReply,
) -> Result<(), partnero_core::Error> {
    let customers = client.customers();
    let customer = match customers.get(key).await {
        Ok(customer) => customer,
        // An affiliate sign-up nobody referred is never sent to Partnero: nothing to show.
        Err(partnero_core::Error::NotFound { .. }) if program == ProgramChoice::Affiliate => {
            return Ok(());
        }
        Err(err) => return Err(err),
    };
    match program {
        ProgramChoice::Affiliate => {
            reply.referred_by = customer.partner.and_then(|p| p.key);
        }
        ProgramChoice::ReferAFriend => {
            reply.referred_by = customer.referring_customer.and_then(|c| c.key);
            reply.referral_link = customer.referral_link;
            reply.clicks = customers.stats(key).await?.clicks;
            reply.balance = customers
                .balance(key)
                .await?
                .currency
                .into_iter()
                .map(|line| BalanceLine {
                    amount: line.amount.unwrap_or_default(),
                    units: line.amount_units,
                })
                .collect();
            reply.referrals = customers
                .referrals(key, partnero_core::ListParams::default())
                .await?
                .data
                .into_iter()
                .filter_map(|c| c.key)
                .collect();
        }
    }
    Ok(())
}

impl Shop {
    /// The key of whoever referred this visitor, for the shop's program.
    pub fn referred_by<'a>(&self, context: &'a partnero_core::ReferralContext) -> Option<&'a str> {
        match self.program {
            ProgramChoice::Affiliate => context.partner_key(),
            ProgramChoice::ReferAFriend => context.referrer_key(),
        }
        .map(|k| k.as_str())
    }
}
