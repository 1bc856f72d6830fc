//! The shop's behaviour, framework-free: both the axum and the actix shop parse the request,
//! call one of these functions, and render its answer. Nothing here knows either framework.

use partnero_client::{
    NewCustomer, Partnero, ReferralHandle, RefundOutcome, Sale, SignupOutcome, Transaction,
};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::setup::ProgramChoice;
use crate::store::{ClaimedSale, Delivery, Order, Store, StoreError, User};

/// The largest request body either shop reads (its forms and JSON are tiny): larger ones get
/// 413 on both frameworks alike.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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

    fn error(err: &partnero_client::Error) -> PartneroReport {
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
            ShopError::Store(StoreError::AlreadyRefunded(_) | StoreError::Busy(_)) => 409,
            ShopError::Store(StoreError::Random(_)) => 500,
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

/// The longest e-mail address and name the shop accepts (Partnero's own limit on both).
pub const MAX_FIELD_CHARS: usize = 255;
/// The longest order id the shop accepts.
pub const MAX_ORDER_ID_CHARS: usize = 100;
/// The largest order amount the shop accepts (a business rule of the example shop).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// The most decimal places an amount may have (cents, or the mills of 3-decimal currencies).
pub const MAX_AMOUNT_SCALE: u32 = 3;

fn check_text(field: &str, value: &str, max: usize) -> Result<(), ShopError> {
    if value.is_empty() {
        return Err(ShopError::BadRequest(format!("{field} is required")));
    }
    if value.chars().count() > max {
        return Err(ShopError::BadRequest(format!(
            "{field} is longer than {max} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(ShopError::BadRequest(format!(
            "{field} contains control characters"
        )));
    }
    Ok(())
}

/// `POST /signup`: registers the user in the shop (with the referral, so the attribution is
/// kept even if Partnero is down), then tells Partnero. The sign-up succeeds whatever Partnero
/// answers; its answer is reported, and a failed Partnero sign-up is sent again before the
/// user's next purchase. Returns the reply and the session token.
pub async fn signup(
    shop: &Shop,
    referral: &ReferralHandle,
    input: SignupInput,
) -> Result<(SignupReply, String), ShopError> {
    let email = input.email.trim();
    let name = input.name.trim();
    check_text("email", email, MAX_FIELD_CHARS)?;
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(ShopError::BadRequest(
            "a valid e-mail address is required".into(),
        ));
    }
    check_text("name", name, MAX_FIELD_CHARS)?;
    let (user, token) = shop
        .store
        .register(email, name, referral.context().clone())?;
    let partnero = match report_signup(shop, referral.client(), &user).await {
        Ok((_, report)) => report,
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

/// Sends a user's sign-up to Partnero with the referral stored at sign-up, and records where
/// it stands. Sending it again is harmless: an existing customer is `already_exists`.
async fn report_signup(
    shop: &Shop,
    client: &Partnero,
    user: &User,
) -> Result<(Delivery, PartneroReport), partnero_client::Error> {
    let customer = NewCustomer::new(user.id.clone())
        .email(user.email.clone())
        .name(user.name.clone());
    let outcome = client.signup(&user.referral, customer).await?;
    let delivery = match &outcome {
        // Not a Partnero customer: an affiliate sign-up nobody (known) referred.
        SignupOutcome::NotReferred { customer: None } | SignupOutcome::PartnerKeyUnknown => {
            Delivery::NotNeeded
        }
        _ => Delivery::Done,
    };
    shop.store.set_signup(&user.id, delivery);
    Ok((delivery, signup_report(shop, user, &outcome)))
}

fn signup_report(shop: &Shop, user: &User, outcome: &SignupOutcome) -> PartneroReport {
    let referred_by = shop.referred_by(&user.referral).map(str::to_owned);
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

/// Makes sure the user's sign-up reached Partnero (sending it again if it had failed) and
/// says where it stands; `Pending` when it still did not get through.
async fn settle_signup(shop: &Shop, client: &Partnero, user: &User) -> Delivery {
    match user.signup {
        Delivery::Pending => match report_signup(shop, client, user).await {
            Ok((delivery, _)) => delivery,
            Err(err) => {
                tracing::warn!(error = %err, "sign-up still not reported to Partnero");
                Delivery::Pending
            }
        },
        other => other,
    }
}

/// `POST /purchase`: records the order, then reports the sale to Partnero.
///
/// The purchase succeeds whatever Partnero answers. A sale that did not get through is sent
/// again when the same purchase (same order id and amount) is repeated. After an ambiguous
/// failure it is first looked up by its transaction key and resent only once it had
/// [`SETTLE_TIME`] to land, since Partnero pays twice for a resent key. A
/// sale of an affiliate customer nobody referred is not sent (`not_referred`).
pub async fn purchase(
    shop: &Shop,
    referral: &ReferralHandle,
    user: Option<User>,
    input: PurchaseInput,
) -> Result<PurchaseReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    if input.amount <= Decimal::ZERO || input.amount > MAX_AMOUNT {
        return Err(ShopError::BadRequest(format!(
            "amount must be positive and at most {MAX_AMOUNT}"
        )));
    }
    if input.amount.normalize().scale() > MAX_AMOUNT_SCALE {
        return Err(ShopError::BadRequest(format!(
            "amount has more than {MAX_AMOUNT_SCALE} decimal places"
        )));
    }
    let order_id = input.order_id.trim();
    check_text("order_id", order_id, MAX_ORDER_ID_CHARS)?;
    let ClaimedSale {
        order,
        previous,
        claim,
    } = shop.store.claim_order(&user, order_id, input.amount)?;
    let client = referral.client();
    let (delivery, partnero) = match settle_signup(shop, client, &user).await {
        Delivery::Done => send_sale(client, &user, &order, previous).await,
        Delivery::NotNeeded => (Delivery::NotNeeded, PartneroReport::outcome("not_referred")),
        _ => (
            // The sale was not sent now; an earlier attempt may still land.
            match previous {
                Delivery::Unconfirmed { .. } => previous,
                _ => Delivery::Pending,
            },
            PartneroReport {
                detail: Some(
                    "the sign-up has not reached Partnero yet; repeat the purchase to send \
                     the sale"
                        .into(),
                ),
                ..PartneroReport::outcome("error")
            },
        ),
    };
    claim.settle(delivery);
    Ok(PurchaseReply {
        order_id: order.order_id,
        amount: order.amount,
        transaction_key: order.transaction_key,
        partnero,
    })
}

/// How long an ambiguous sale may take to land in Partnero before the shop concludes it never
/// will: well past the client's timeout, retries and confirm check (see `setup`).
pub const SETTLE_TIME: Duration = Duration::from_secs(60);

/// Sends one sale. After an ambiguous earlier attempt (`previous` is
/// [`Delivery::Unconfirmed`]) it first looks the sale up by its key: found, it is done; absent,
/// it is sent again only once [`SETTLE_TIME`] has passed, since the earlier create may still be
/// recorded. A sale that fails ambiguously now becomes `Unconfirmed`, one surely refused
/// `Pending`.
async fn send_sale(
    client: &Partnero,
    user: &User,
    order: &Order,
    previous: Delivery,
) -> (Delivery, PartneroReport) {
    if let Delivery::Unconfirmed { since } = previous {
        match client.transactions().get(&order.transaction_key).await {
            Ok(transaction) => return (Delivery::Done, sale_report(&transaction)),
            Err(partnero_client::Error::NotFound { .. }) if since.elapsed() >= SETTLE_TIME => {}
            Err(partnero_client::Error::NotFound { .. }) => {
                return (
                    previous,
                    PartneroReport {
                        detail: Some(format!(
                            "an earlier attempt may still be recorded; repeat the purchase \
                             after {} s to send the sale again",
                            SETTLE_TIME.as_secs()
                        )),
                        ..PartneroReport::outcome("unconfirmed")
                    },
                );
            }
            Err(err) => return (previous, PartneroReport::error(&err)),
        }
    }
    let sale = Sale::new(order.amount)
        .key(order.transaction_key.clone())
        .product_id(order.order_id.clone());
    match client.sale(&user.id, sale).await {
        Ok(outcome) => (Delivery::Done, sale_report(&outcome.transaction)),
        Err(err) if err.is_ambiguous() => (
            Delivery::Unconfirmed {
                since: Instant::now(),
            },
            PartneroReport::error(&err),
        ),
        Err(err) => (Delivery::Pending, PartneroReport::error(&err)),
    }
}

fn sale_report(transaction: &Transaction) -> PartneroReport {
    PartneroReport {
        rewards: transaction
            .rewards
            .iter()
            .filter_map(|r| r.amount)
            .collect(),
        ..PartneroReport::outcome("recorded")
    }
}

/// `POST /refund`: refunds the order in the shop, then reverses the sale in Partnero. A
/// reversal that did not get through is sent again when the refund is repeated.
pub async fn refund(
    shop: &Shop,
    referral: &ReferralHandle,
    user: Option<User>,
    input: RefundInput,
) -> Result<RefundReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    let (order, claim) = shop.store.claim_refund(&user, input.order_id.trim())?;
    let (delivery, partnero) = if order.sale == Delivery::NotNeeded {
        (Delivery::NotNeeded, PartneroReport::outcome("not_referred"))
    } else {
        match referral.refund(&order.transaction_key).await {
            Ok(RefundOutcome::Refunded) => (Delivery::Done, PartneroReport::outcome("reversed")),
            // The sale may still land after an ambiguous create: keep the reversal pending
            // until it had time to, so a late sale is reversed by a repeat of the refund.
            Ok(RefundOutcome::UnknownTransaction) => match order.sale {
                Delivery::Unconfirmed { since } if since.elapsed() < SETTLE_TIME => (
                    Delivery::Pending,
                    PartneroReport {
                        detail: Some(format!(
                            "the sale may still be recorded; repeat the refund after {} s",
                            SETTLE_TIME.as_secs()
                        )),
                        ..PartneroReport::outcome("unknown_transaction")
                    },
                ),
                _ => (
                    Delivery::Done,
                    PartneroReport::outcome("unknown_transaction"),
                ),
            },
            Ok(_) => (Delivery::Done, PartneroReport::outcome("other")),
            Err(err) => (Delivery::Pending, PartneroReport::error(&err)),
        }
    };
    claim.settle(delivery);
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
    client: &partnero_client::Partnero,
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
    client: &partnero_client::Partnero,
    key: &str,
    reply: &mut DashboardReply,
) -> Result<(), partnero_client::Error> {
    let customers = client.customers();
    let customer = match customers.get(key).await {
        Ok(customer) => customer,
        // An affiliate sign-up nobody referred is never sent to Partnero: nothing to show.
        Err(partnero_client::Error::NotFound { .. }) if program == ProgramChoice::Affiliate => {
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
                .referrals(key, partnero_client::ListParams::default())
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

#[cfg(test)]
mod tests {
    use super::*;
    use partnero_core::ReferralContext;

    /// A handle whose client would fail if called: every request here is refused before.
    fn handle() -> ReferralHandle {
        let client = Partnero::builder("sk_test")
            .base_url("http://127.0.0.1:9/v1/")
            .build()
            .unwrap();
        ReferralHandle::new(ReferralContext::new(), client)
    }

    fn bad_request<T: std::fmt::Debug>(result: Result<T, ShopError>, needle: &str) {
        match result {
            Err(ShopError::BadRequest(message)) => {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}")
            }
            other => panic!("expected a 400 about {needle}, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn sign_ups_partnero_would_reject_are_refused_before_anything_is_stored() {
        let shop = Shop::new("test", ProgramChoice::ReferAFriend);
        let input = |email: &str, name: &str| SignupInput {
            email: email.into(),
            name: name.into(),
        };
        let long = "n".repeat(MAX_FIELD_CHARS + 1);
        let long_email = format!("{}@example.com", "e".repeat(MAX_FIELD_CHARS));
        bad_request(
            signup(&shop, &handle(), input("a@example.com", &long)).await,
            "name",
        );
        bad_request(
            signup(&shop, &handle(), input(&long_email, "Ann")).await,
            "email",
        );
        bad_request(
            signup(&shop, &handle(), input("nope", "Ann")).await,
            "e-mail",
        );
        bad_request(
            signup(&shop, &handle(), input("a b@x.y", "Ann")).await,
            "e-mail",
        );
        bad_request(
            signup(&shop, &handle(), input("a@x.y", "A\u{7}n")).await,
            "name",
        );
        bad_request(signup(&shop, &handle(), input("a@x.y", "  ")).await, "name");
        // None of them took the address.
        assert!(
            shop.store
                .register("a@example.com", "Ann", ReferralContext::new())
                .is_ok()
        );
    }

    #[tokio::test]
    async fn purchases_partnero_would_reject_are_refused_before_anything_is_stored() {
        let shop = Shop::new("test", ProgramChoice::Affiliate);
        let (user, _) = shop
            .store
            .register("a@example.com", "Ann", ReferralContext::new())
            .unwrap();
        let buy = |order_id: &str, amount: Decimal| PurchaseInput {
            order_id: order_id.into(),
            amount,
        };
        let one = Decimal::ONE;
        for amount in [
            Decimal::ZERO,
            -one,
            MAX_AMOUNT + one,
            Decimal::new(10_001, 4),
            Decimal::new(1, 28),
        ] {
            bad_request(
                purchase(&shop, &handle(), Some(user.clone()), buy("o1", amount)).await,
                "amount",
            );
        }
        let long = "o".repeat(MAX_ORDER_ID_CHARS + 1);
        for order_id in ["", "  ", long.as_str(), "o\n1"] {
            bad_request(
                purchase(&shop, &handle(), Some(user.clone()), buy(order_id, one)).await,
                "order_id",
            );
        }
        // An amount with the most decimals allowed is fine, and nothing above was stored:
        // `o1` is still free (the order is claimed, so a second claim is busy).
        let fine = Decimal::new(1_234_567, MAX_AMOUNT_SCALE);
        let claimed = shop.store.claim_order(&user, "o1", fine).unwrap();
        assert_eq!(claimed.previous, Delivery::InFlight, "o1 was never stored");
        claimed.claim.settle(Delivery::Done);
        assert!(matches!(
            purchase(&shop, &handle(), None, buy("o2", one)).await,
            Err(ShopError::NotLoggedIn)
        ));
    }
}
