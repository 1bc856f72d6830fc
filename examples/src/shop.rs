//! The shop's behaviour, framework-free: both the axum and the actix shop parse the request,
//! call one of these functions, and render its answer. Nothing here knows either framework.
//!
//! Every Partnero event goes through the outbox (`partnero-outbox`): a sign-up, a purchase or
//! a refund writes the shop's own row and the event in one transaction of the shop's database
//! (SQLite, or PostgreSQL for a `postgres://` URL: the same code on both), answers the
//! visitor at once with what was queued, and the shop's one background
//! [`Dispatcher`] delivers it, through Partnero outages, slow answers and restarts, exactly
//! once.

use std::time::Duration;

use partnero_client::{NewCustomer, Partnero, Sale};
use partnero_core::ReferralContext;
use partnero_outbox::{Dispatcher, Enqueued, Event};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::setup::ProgramChoice;
use crate::store::{self, ShopOutbox, Store, StoreError, User};

/// The guard of [`ShopOptions::temporary`]'s directory.
pub use tempfile::TempDir;

/// The largest request body either shop reads (its forms and JSON are tiny): larger ones get
/// 413 on both frameworks alike.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The name of the shop's own login cookie.
pub const SESSION_COOKIE: &str = "shop_session";

/// How the shop's dispatcher delivers (see `partnero_outbox::DispatcherBuilder`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The time limit of one request to Partnero.
    pub timeout: Duration,
    /// How long a sale whose outcome is unknown waits before it is looked up by key.
    pub settle: Duration,
    /// Backoff between attempts of one event: full jitter from this base ...
    pub backoff_base: Duration,
    /// ... doubling up to this cap.
    pub backoff_cap: Duration,
    /// How often an idle dispatcher looks for due events (besides the shop's nudges).
    pub poll_interval: Duration,
    /// How long a claim holds an event (a killed shop's events wait this long).
    pub lease: Duration,
    /// Attempts before an event is a dead letter.
    pub max_attempts: u32,
}

impl Default for DeliverySettings {
    /// The outbox's own defaults: 10 s requests, 120 s settle time, backoff 1 s to 10 min.
    fn default() -> Self {
        DeliverySettings {
            timeout: Duration::from_secs(10),
            settle: Duration::from_secs(120),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(600),
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            max_attempts: 20,
        }
    }
}

impl DeliverySettings {
    /// Short settings for tests and the walkthrough (Partnero is a local sandbox): 1 s
    /// requests, 4 s settle time, backoff 50 ms to 1 s, 100 ms polls, 3 s leases, and enough
    /// attempts to ride out any outage a test stages.
    pub fn quick() -> Self {
        DeliverySettings {
            timeout: Duration::from_secs(1),
            settle: Duration::from_secs(4),
            backoff_base: Duration::from_millis(50),
            backoff_cap: Duration::from_secs(1),
            poll_interval: Duration::from_millis(100),
            lease: Duration::from_secs(3),
            max_attempts: 1_000,
        }
    }
}

/// How long the shop's HTTP server waits on a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// For a request's head (line and headers). On axum (hyper) the same timer also closes a
    /// keep-alive connection that stays idle this long.
    pub header: Duration,
    /// A keep-alive connection with no request is closed after this (actix; see `header`).
    pub idle: Duration,
    /// For a request's body, once its head was read: 408 after it.
    pub body: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            body: Duration::from_secs(15),
        }
    }
}

impl Timeouts {
    /// Every timeout `d` (tests).
    pub fn all(d: Duration) -> Self {
        Timeouts {
            header: d,
            idle: d,
            body: d,
        }
    }
}

/// Where a shop keeps its data and how it delivers.
#[derive(Debug, Clone)]
pub struct ShopOptions {
    /// A `postgres://` (or `postgresql://`) URL of an existing PostgreSQL database, or else
    /// an `sqlite://` URL or a file path, created when missing.
    pub database: String,
    /// The dispatcher's settings.
    pub delivery: DeliverySettings,
    /// The HTTP server's timeouts.
    pub timeouts: Timeouts,
}

impl ShopOptions {
    /// The database `database`, default delivery and timeouts.
    pub fn new(database: impl Into<String>) -> Self {
        ShopOptions {
            database: database.into(),
            delivery: DeliverySettings::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// A database file in a new temporary directory (removed when the returned `TempDir` is
    /// dropped), with [`DeliverySettings::quick`]: for tests and the walkthrough.
    pub fn temporary() -> std::io::Result<(tempfile::TempDir, ShopOptions)> {
        let dir = tempfile::Builder::new()
            .prefix("partnero-shop-")
            .tempdir()?;
        let database = dir.path().join("shop.db").to_string_lossy().into_owned();
        let options = ShopOptions::new(database).delivery(DeliverySettings::quick());
        Ok((dir, options))
    }

    /// With these delivery settings.
    pub fn delivery(mut self, delivery: DeliverySettings) -> Self {
        self.delivery = delivery;
        self
    }

    /// With these timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
}

/// Why a shop could not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The shop's database.
    #[error("cannot open the shop's database: {0}")]
    Store(#[from] StoreError),
    /// The outbox table, or its dispatcher (on SQLite: another shop delivers from the same
    /// file).
    #[error("cannot start the outbox: {0}")]
    Outbox(#[from] partnero_outbox::Error),
}

/// One running shop: its database, the outbox in it, the dispatcher delivering it, and the
/// program it runs.
#[derive(Debug)]
pub struct Shop {
    /// Users, sessions, orders.
    pub store: Store,
    /// The `partnero_outbox` table, in the same database.
    pub outbox: ShopOutbox,
    /// The one dispatcher delivering it.
    pub dispatcher: Dispatcher,
    /// The Partnero program.
    pub program: ProgramChoice,
    /// `axum` or `actix`, shown on pages.
    pub framework: &'static str,
    /// The HTTP server's timeouts.
    pub timeouts: Timeouts,
    /// The webhook endpoint's verifier and the latest events received.
    pub webhooks: crate::webhooks::ShopWebhooks,
}

impl Shop {
    /// Opens the shop's database (creating its tables and the outbox table when missing) and
    /// spawns its dispatcher on the current tokio runtime, delivering with `client`. What an
    /// earlier run left undelivered in the same database is delivered now.
    pub async fn open(
        framework: &'static str,
        program: ProgramChoice,
        client: Partnero,
        options: &ShopOptions,
    ) -> Result<Shop, OpenError> {
        let store = Store::open(&options.database).await?;
        let outbox = store.outbox().await?;
        let d = options.delivery;
        let dispatcher = outbox
            .dispatcher(client)
            .timeout(d.timeout)
            .settle(d.settle)
            .backoff(d.backoff_base, d.backoff_cap)
            .poll_interval(d.poll_interval)
            .lease(d.lease)
            .max_attempts(d.max_attempts)
            .spawn()?;
        Ok(Shop {
            store,
            outbox,
            dispatcher,
            program,
            framework,
            timeouts: options.timeouts,
            webhooks: Default::default(),
        })
    }

    /// Stops the dispatcher (after the server stopped): deliveries in flight get 5 s, what is
    /// left waits in the database for the next start.
    pub async fn close(&self) {
        let report = self.dispatcher.shutdown(Duration::from_secs(5)).await;
        if report.released > 0 {
            tracing::info!(
                released = report.released,
                "outbox events left for the next start"
            );
        }
    }

    /// The logged-in user, from the request's `Cookie` header values.
    pub async fn session_user<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<User>, ShopError> {
        let token = cookie_headers
            .into_iter()
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == SESSION_COOKIE)
            .map(|c| c.value().to_owned());
        match token {
            Some(token) => Ok(self.store.user_for_session(&token).await?),
            None => Ok(None),
        }
    }

    /// The key of whoever referred this visitor, for the shop's program.
    pub fn referred_by<'a>(&self, context: &'a ReferralContext) -> Option<&'a str> {
        match self.program {
            ProgramChoice::Affiliate => context.partner_key(),
            ProgramChoice::ReferAFriend => context.referrer_key(),
        }
        .map(|k| k.as_str())
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

/// What the shop did about Partnero: the event it queued, never Partnero's answer (the
/// dispatcher delivers it in the background).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartneroReport {
    /// `queued` (a new event in the outbox), `already_queued` (a repeat: the event was queued
    /// before, and is never sent twice) or `not_referred` (an affiliate customer nobody
    /// referred is not a Partnero customer: nothing to send).
    pub status: String,
    /// The event's idempotency key (`signup:<user>`, `sale:<transaction>`,
    /// `refund:<transaction>`), when there is one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event: Option<String>,
    /// Sign-ups: the key of whoever referred the visitor, as sent to Partnero.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub referred_by: Option<String>,
}

impl PartneroReport {
    fn queued(enqueued: Enqueued, event: &Event) -> PartneroReport {
        PartneroReport {
            status: match enqueued {
                Enqueued::AlreadyQueued => "already_queued",
                _ => "queued",
            }
            .to_owned(),
            event: Some(event.idempotency_key().to_owned()),
            referred_by: None,
        }
    }

    fn already_queued(event: &Event) -> PartneroReport {
        PartneroReport::queued(Enqueued::AlreadyQueued, event)
    }

    fn not_referred() -> PartneroReport {
        PartneroReport {
            status: "not_referred".to_owned(),
            event: None,
            referred_by: None,
        }
    }
}

/// The answer to `POST /signup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignupReply {
    /// The new user's id (also its Partnero customer key).
    pub user_id: String,
    /// What was queued for Partnero.
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
    /// What was queued for Partnero.
    pub partnero: PartneroReport,
}

/// The answer to `POST /refund`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundReply {
    /// The order id.
    pub order_id: String,
    /// Always true: the shop refunded the order.
    pub refunded: bool,
    /// What was queued for Partnero.
    pub partnero: PartneroReport,
}

/// Why the shop refused a request; each maps to an HTTP status and a JSON body.
#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    /// The body could not be read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The body did not arrive within the server's body timeout.
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    /// No session cookie, or an unknown one.
    #[error("log in first (POST /signup)")]
    NotLoggedIn,
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The outbox refused the event (the whole request was rolled back).
    #[error("cannot queue the Partnero event: {0}")]
    Outbox(#[from] partnero_outbox::Error),
}

impl From<sqlx::Error> for ShopError {
    fn from(err: sqlx::Error) -> Self {
        ShopError::Store(StoreError::Database(err))
    }
}

impl ShopError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            ShopError::BadRequest(_) => 400,
            ShopError::BodyTimeout => 408,
            ShopError::BodyTooLarge => 413,
            ShopError::NotLoggedIn => 401,
            ShopError::Store(StoreError::EmailTaken | StoreError::DuplicateOrder(_)) => 409,
            ShopError::Store(StoreError::UnknownOrder(_)) => 404,
            ShopError::Store(StoreError::Random(_) | StoreError::Database(_))
            | ShopError::Outbox(_) => 500,
        }
    }

    /// The JSON body for this error. Internal errors are logged, not shown.
    pub fn body(&self) -> serde_json::Value {
        if self.status() == 500 {
            tracing::error!(error = %self, "request failed");
            return serde_json::json!({ "error": "internal error; nothing was stored" });
        }
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

/// `POST /signup`: registers the user, opens a session and queues the Partnero sign-up (with
/// the referral as captured now) in one transaction, then answers. An affiliate sign-up nobody
/// referred is not a Partnero customer: nothing is queued (`not_referred`), nor for their
/// purchases. Returns the reply and the session token.
pub async fn signup(
    shop: &Shop,
    referral: &ReferralContext,
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
    let referred_by = shop.referred_by(referral).map(str::to_owned);
    let user = User {
        id: format!("user_{}", store::random_hex(8)?),
        email: email.to_owned(),
        name: name.to_owned(),
        reported: shop.program == ProgramChoice::ReferAFriend || referred_by.is_some(),
        referred_by,
    };
    let mut tx = shop.store.begin().await?;
    store::insert_user(&mut tx, &user).await?;
    let token = store::insert_session(&mut tx, &user.id).await?;
    let partnero = if user.reported {
        let customer = NewCustomer::new(user.id.clone())
            .email(user.email.clone())
            .name(user.name.clone());
        let event = Event::signup(referral, customer);
        let enqueued = shop.outbox.enqueue(&mut tx, &event).await?;
        PartneroReport {
            referred_by: user.referred_by.clone(),
            ..PartneroReport::queued(enqueued, &event)
        }
    } else {
        PartneroReport::not_referred()
    };
    tx.commit().await?;
    shop.dispatcher.nudge();
    Ok((
        SignupReply {
            user_id: user.id,
            partnero,
        },
        token,
    ))
}

/// `POST /purchase`: records the order and queues its sale (keyed by the order's transaction
/// key) in one transaction. Repeating the same purchase (same order id and amount) is harmless:
/// `already_queued`, never a second sale; another amount under the same order id, or a
/// refunded order, is a conflict.
pub async fn purchase(
    shop: &Shop,
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
    let mut tx = shop.store.begin().await?;
    store::lock_user(&mut tx, &user.id).await?;
    let (order, partnero) = match store::order(&mut tx, &user.id, order_id).await? {
        Some(order) if order.amount != input.amount || order.refunded => {
            return Err(StoreError::DuplicateOrder(order_id.to_owned()).into());
        }
        // A repeat: its sale went in with the order.
        Some(order) => {
            let partnero = if user.reported {
                PartneroReport::already_queued(&sale_event(&user, &order))
            } else {
                PartneroReport::not_referred()
            };
            (order, partnero)
        }
        None => {
            let order = store::insert_order(&mut tx, &user.id, order_id, input.amount).await?;
            let partnero = if user.reported {
                let event = sale_event(&user, &order);
                PartneroReport::queued(shop.outbox.enqueue(&mut tx, &event).await?, &event)
            } else {
                PartneroReport::not_referred()
            };
            (order, partnero)
        }
    };
    tx.commit().await?;
    shop.dispatcher.nudge();
    Ok(PurchaseReply {
        order_id: order.order_id,
        amount: order.amount,
        transaction_key: order.transaction_key,
        partnero,
    })
}

fn sale_event(user: &User, order: &store::Order) -> Event {
    Event::sale(
        user.id.clone(),
        Sale::new(order.amount)
            .key(order.transaction_key.clone())
            .product_id(order.order_id.clone()),
    )
}

/// `POST /refund`: refunds the order and queues the sale's reversal in one transaction; the
/// dispatcher delivers it after the sale, even while the sale itself still waits. Repeating
/// the refund is harmless: `already_queued`.
pub async fn refund(
    shop: &Shop,
    user: Option<User>,
    input: RefundInput,
) -> Result<RefundReply, ShopError> {
    let user = user.ok_or(ShopError::NotLoggedIn)?;
    let order_id = input.order_id.trim();
    let mut tx = shop.store.begin().await?;
    store::lock_user(&mut tx, &user.id).await?;
    let order = store::order(&mut tx, &user.id, order_id)
        .await?
        .ok_or_else(|| StoreError::UnknownOrder(order_id.to_owned()))?;
    let event = Event::refund(order.transaction_key.clone());
    let partnero = if !user.reported {
        PartneroReport::not_referred()
    } else if order.refunded {
        PartneroReport::already_queued(&event)
    } else {
        PartneroReport::queued(shop.outbox.enqueue(&mut tx, &event).await?, &event)
    };
    if !order.refunded {
        store::mark_refunded(&mut tx, &user.id, order_id).await?;
    }
    tx.commit().await?;
    shop.dispatcher.nudge();
    Ok(RefundReply {
        order_id: order.order_id,
        refunded: true,
        partnero,
    })
}

/// The outbox as the dashboard shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxSummary {
    /// Events waiting for delivery (pending, in flight, unconfirmed), all customers.
    pub waiting: u64,
    /// Events delivered (and not yet purged).
    pub delivered: u64,
    /// Dead letters waiting for an operator.
    pub dead: u64,
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
    /// The shop's outbox: what waits for Partnero (all customers). `None` when the database
    /// could not be read.
    pub outbox: Option<OutboxSummary>,
    /// The latest Partnero webhook events the shop received (all customers), newest first.
    #[serde(default)]
    pub webhooks: Vec<crate::webhooks::ReceivedEvent>,
}

/// `GET /dashboard`: what Partnero knows about the logged-in user (what was delivered so far),
/// and how many events wait in the outbox.
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
    match shop.outbox.stats().await {
        Ok(stats) => {
            reply.outbox = Some(OutboxSummary {
                waiting: stats.waiting(),
                delivered: stats.in_state("delivered"),
                dead: stats.dead(),
            })
        }
        Err(err) => tracing::warn!(error = %err, "cannot read the outbox stats"),
    }
    reply.webhooks = shop.webhooks.latest();
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

#[cfg(test)]
mod tests {
    use super::*;
    use partnero_core::{KeySource, ReferralKey};

    /// A shop on `database` whose dispatcher would fail if it sent anything (nothing here is
    /// delivered).
    async fn shop_on(database: &str, program: ProgramChoice) -> Shop {
        let client = Partnero::builder("sk_test")
            .base_url("http://127.0.0.1:9/v1/")
            .build()
            .unwrap();
        let options = ShopOptions::new(database).delivery(DeliverySettings::quick());
        Shop::open("test", program, client, &options).await.unwrap()
    }

    /// Each case (an `async fn(Shop)`, the shop running `program`) on an SQLite file and, when
    /// a server answers, on a fresh PostgreSQL schema (a loud `SKIPPED` line otherwise).
    macro_rules! on_both_databases {
        ($($sqlite:ident, $postgres:ident => $case:ident($program:expr);)*) => {$(
            #[tokio::test]
            async fn $sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("shop.db");
                $case(shop_on(path.to_str().unwrap(), $program).await).await;
            }

            #[tokio::test]
            async fn $postgres() {
                let what = concat!("shop::tests::", stringify!($postgres));
                let scratch = crate::scratch_db::ScratchSchema::create("shop_unit", what);
                let Some(scratch) = scratch.await.unwrap() else {
                    return;
                };
                $case(shop_on(&scratch.url, $program).await).await;
                scratch.drop().await;
            }
        )*};
    }

    on_both_databases! {
        sign_ups_partnero_would_reject_are_refused_before_anything_is_stored,
        sign_ups_partnero_would_reject_are_refused_before_anything_is_stored_on_postgres
            => refused_sign_ups(ProgramChoice::ReferAFriend);
        purchases_and_refunds_are_queued_once_with_their_rows,
        purchases_and_refunds_are_queued_once_with_their_rows_on_postgres
            => purchases_and_refunds(ProgramChoice::Affiliate);
        an_affiliate_visitor_nobody_referred_queues_nothing,
        an_affiliate_visitor_nobody_referred_queues_nothing_on_postgres
            => nobody_referred(ProgramChoice::Affiliate);
    }

    fn bad_request<T: std::fmt::Debug>(result: Result<T, ShopError>, needle: &str) {
        match result {
            Err(ShopError::BadRequest(message)) => {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}")
            }
            other => panic!("expected a 400 about {needle}, got {other:?}"),
        }
    }

    fn signup_input(email: &str, name: &str) -> SignupInput {
        SignupInput {
            email: email.into(),
            name: name.into(),
        }
    }

    async fn waiting(shop: &Shop) -> u64 {
        shop.outbox.stats().await.unwrap().waiting()
    }

    async fn refused_sign_ups(shop: Shop) {
        let ctx = ReferralContext::new();
        let long = "n".repeat(MAX_FIELD_CHARS + 1);
        let long_email = format!("{}@example.com", "e".repeat(MAX_FIELD_CHARS));
        for (email, name, field) in [
            ("a@example.com", long.as_str(), "name"),
            (long_email.as_str(), "Ann", "email"),
            ("nope", "Ann", "e-mail"),
            ("a b@x.y", "Ann", "e-mail"),
            ("a@x.y", "A\u{7}n", "name"),
            ("a@x.y", "  ", "name"),
        ] {
            bad_request(signup(&shop, &ctx, signup_input(email, name)).await, field);
        }
        assert_eq!(waiting(&shop).await, 0, "nothing was queued");
        // None of them took the address.
        let (reply, _) = signup(&shop, &ctx, signup_input("a@example.com", "Ann"))
            .await
            .unwrap();
        assert_eq!(reply.partnero.status, "queued");
        assert!(matches!(
            signup(&shop, &ctx, signup_input("A@example.com", "Again")).await,
            Err(ShopError::Store(StoreError::EmailTaken))
        ));
        assert_eq!(
            waiting(&shop).await,
            1,
            "the refused sign-up queued nothing"
        );
        shop.dispatcher.shutdown(Duration::from_secs(1)).await;
    }

    async fn purchases_and_refunds(shop: Shop) {
        let ctx = ReferralContext::new().with_partner(
            ReferralKey::parse("demo-partner").unwrap(),
            KeySource::Cookie,
        );
        let (reply, token) = signup(&shop, &ctx, signup_input("a@example.com", "Ann"))
            .await
            .unwrap();
        assert_eq!(
            reply.partnero.referred_by.as_deref(),
            Some("demo-partner"),
            "{:?}",
            reply.partnero
        );
        let cookie = format!("{SESSION_COOKIE}={token}");
        let user = shop.session_user([cookie.as_str()]).await.unwrap();
        assert_eq!(
            user.as_ref().map(|u| u.id.as_str()),
            Some(reply.user_id.as_str())
        );
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
                purchase(&shop, user.clone(), buy("o1", amount)).await,
                "amount",
            );
        }
        let long = "o".repeat(MAX_ORDER_ID_CHARS + 1);
        for order_id in ["", "  ", long.as_str(), "o\n1"] {
            bad_request(
                purchase(&shop, user.clone(), buy(order_id, one)).await,
                "order_id",
            );
        }
        assert_eq!(waiting(&shop).await, 1, "only the sign-up");
        // An amount with the most decimals allowed is fine; a repeat is queued once.
        let fine = Decimal::new(1_234_567, MAX_AMOUNT_SCALE);
        let first = purchase(&shop, user.clone(), buy("o1", fine))
            .await
            .unwrap();
        assert_eq!(first.partnero.status, "queued");
        let repeat = purchase(&shop, user.clone(), buy("o1", fine))
            .await
            .unwrap();
        assert_eq!(repeat.partnero.status, "already_queued");
        assert_eq!(repeat.partnero.event, first.partnero.event);
        assert!(matches!(
            purchase(&shop, user.clone(), buy("o1", one)).await,
            Err(ShopError::Store(StoreError::DuplicateOrder(_)))
        ));
        assert_eq!(waiting(&shop).await, 2);
        let refund_of = |order_id: &str| RefundInput {
            order_id: order_id.into(),
        };
        let refunded = refund(&shop, user.clone(), refund_of("o1")).await.unwrap();
        assert_eq!(refunded.partnero.status, "queued");
        let again = refund(&shop, user.clone(), refund_of("o1")).await.unwrap();
        assert_eq!(again.partnero.status, "already_queued");
        assert!(matches!(
            refund(&shop, user.clone(), refund_of("o2")).await,
            Err(ShopError::Store(StoreError::UnknownOrder(_)))
        ));
        assert!(matches!(
            purchase(&shop, user.clone(), buy("o1", fine)).await,
            Err(ShopError::Store(StoreError::DuplicateOrder(_)))
        ));
        assert_eq!(waiting(&shop).await, 3, "sign-up, sale, refund: once each");
        assert!(matches!(
            purchase(&shop, None, buy("o2", one)).await,
            Err(ShopError::NotLoggedIn)
        ));
        shop.dispatcher.shutdown(Duration::from_secs(1)).await;
    }

    async fn nobody_referred(shop: Shop) {
        let (reply, token) = signup(
            &shop,
            &ReferralContext::new(),
            signup_input("b@example.com", "Bo"),
        )
        .await
        .unwrap();
        assert_eq!(reply.partnero, PartneroReport::not_referred());
        let user = shop
            .session_user([format!("{SESSION_COOKIE}={token}").as_str()])
            .await
            .unwrap();
        let input = PurchaseInput {
            order_id: "o1".into(),
            amount: Decimal::TEN,
        };
        let bought = purchase(&shop, user.clone(), input).await.unwrap();
        assert_eq!(bought.partnero.status, "not_referred");
        let refunded = refund(
            &shop,
            user,
            RefundInput {
                order_id: "o1".into(),
            },
        );
        assert_eq!(refunded.await.unwrap().partnero.status, "not_referred");
        let stats = shop.outbox.stats().await.unwrap();
        let rows: u64 = stats.rows.values().flat_map(|kinds| kinds.values()).sum();
        assert_eq!(rows, 0, "no event at all: {stats:?}");
        shop.dispatcher.shutdown(Duration::from_secs(1)).await;
    }
}
