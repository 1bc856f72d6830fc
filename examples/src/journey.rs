//! The visitor's journey, played over real HTTP against a running shop, checked against what
//! the sandbox stored: land on a referral link, sign up, buy, get refunded. The shop answers
//! at once with what it queued; each step then waits (up to [`DELIVERY_DEADLINE`]) for its
//! dispatcher to deliver the event to the sandbox.
//!
//! [`outage_and_restart`] is the harder journey: Partnero down, visitors sign up, buy and
//! refund, the shop is killed and started again on the same database, Partnero comes back, and
//! everything arrives exactly once.
//!
//! The walkthrough prints the reports; the end-to-end tests assert on them.

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::json;

use std::sync::Arc;

use crate::actix_shop::ActixShop;
use crate::axum_shop::AxumShop;
use crate::setup::ProgramChoice;
use crate::shop::{
    DashboardReply, OpenError, PurchaseReply, RefundReply, Shop, ShopOptions, SignupReply,
};
use partnero_sandbox::Sandbox;

/// A step of the journey did not go as it should.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    /// An HTTP call failed.
    #[error("{step}: HTTP error: {source}")]
    Http {
        /// The step.
        step: &'static str,
        /// The error.
        source: reqwest::Error,
    },
    /// What happened is not what should have.
    #[error("{step}: {detail}")]
    Mismatch {
        /// The step.
        step: &'static str,
        /// What was expected and what was seen.
        detail: String,
    },
}

/// How long a journey waits for the shop's dispatcher to deliver an event.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(30);

/// Polls `ready` every 100 ms until it holds, for up to [`DELIVERY_DEADLINE`]; a mismatch
/// naming `what` when it never does.
pub async fn wait_for(
    step: &'static str,
    what: impl FnOnce() -> String,
    mut ready: impl FnMut() -> bool,
) -> Result<(), JourneyError> {
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    loop {
        if ready() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(JourneyError::Mismatch {
                step,
                detail: format!(
                    "{} not delivered within {} s",
                    what(),
                    DELIVERY_DEADLINE.as_secs()
                ),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn check(
    ok: bool,
    step: &'static str,
    detail: impl FnOnce() -> String,
) -> Result<(), JourneyError> {
    if ok {
        Ok(())
    } else {
        Err(JourneyError::Mismatch {
            step,
            detail: detail(),
        })
    }
}

/// The attributes of the referral cookie the shop set, as a browser would read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieSeen {
    /// `name=value`.
    pub pair: String,
    /// `Max-Age` in seconds.
    pub max_age: Option<i64>,
    /// `Path`.
    pub path: Option<String>,
    /// `SameSite`.
    pub same_site: Option<String>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
}

/// What one journey saw, step by step.
#[derive(Debug, Clone)]
pub struct JourneyReport {
    /// `axum` or `actix`.
    pub framework: String,
    /// The program.
    pub program: ProgramChoice,
    /// The referral cookie set on landing.
    pub cookie: CookieSeen,
    /// The new user's id (Partnero customer key).
    pub user_id: String,
    /// Who Partnero attributes the customer to.
    pub attributed_to: String,
    /// The sale's transaction key.
    pub transaction_key: String,
    /// The sale amount.
    pub amount: Decimal,
    /// The commission Partnero computed for the referrer.
    pub commission: Decimal,
    /// The referrer's balance (partner balance or refer-a-friend balance) before, after the sale,
    /// and after the refund.
    pub referrer_balance: [Decimal; 3],
    /// Refer-a-friend: the new user's own referral link.
    pub referral_link: Option<String>,
}

impl JourneyReport {
    /// A short readable report.
    pub fn render(&self) -> String {
        let c = &self.cookie;
        let days = c
            .max_age
            .map(|s| format!("{} days", s / 86_400))
            .unwrap_or_else(|| "session".into());
        let mut out = format!(
            "[{} / {}]\n  landing     Set-Cookie {} (Max-Age {days}, Path={}, SameSite={}, {}, {})\n  sign-up     queued; customer {} delivered, attributed to {}\n  purchase    queued; transaction {} of {} delivered -> commission {}\n  refund      queued; transaction deleted, commission reversed\n  balance     referrer {}: {} -> {} -> {}\n",
            self.framework,
            self.program.label(),
            c.pair,
            c.path.as_deref().unwrap_or("-"),
            c.same_site.as_deref().unwrap_or("-"),
            if c.secure { "Secure" } else { "not Secure" },
            if c.http_only {
                "HttpOnly"
            } else {
                "readable by PartneroJS (not HttpOnly)"
            },
            self.user_id,
            self.attributed_to,
            self.transaction_key,
            self.amount,
            self.commission,
            self.attributed_to,
            self.referrer_balance[0],
            self.referrer_balance[1],
            self.referrer_balance[2],
        );
        if let Some(link) = &self.referral_link {
            out.push_str(&format!("  dashboard   own referral link {link}\n"));
        }
        out
    }
}

/// The referrer's balance in the sandbox: the partner's (affiliate) or the referring customer's.
fn referrer_balance(sandbox: &Sandbox, api_key: &str, program: ProgramChoice) -> Decimal {
    let state = sandbox.state();
    match program {
        ProgramChoice::Affiliate => state
            .partner_by_key(api_key, program.demo_key())
            .map(|p| p.balance)
            .unwrap_or_default(),
        ProgramChoice::ReferAFriend => state
            .balance(api_key, program.demo_key())
            .unwrap_or_default(),
    }
}

async fn json_reply<T: DeserializeOwned>(
    step: &'static str,
    res: reqwest::Response,
) -> Result<T, JourneyError> {
    let status = res.status();
    let body = res
        .text()
        .await
        .map_err(|source| JourneyError::Http { step, source })?;
    check(status.is_success(), step, || {
        format!("expected 2xx, got {status}: {body}")
    })?;
    serde_json::from_str(&body).map_err(|e| JourneyError::Mismatch {
        step,
        detail: format!("unexpected body ({e}): {body}"),
    })
}

/// Plays the journey against the shop at `shop_url`, which runs `program` on `sandbox`.
pub async fn play(
    framework: &str,
    shop_url: &str,
    sandbox: &Sandbox,
    program: ProgramChoice,
) -> Result<JourneyReport, JourneyError> {
    // The shops run on 127.0.0.1: never through the environment's proxy.
    let http = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .map_err(|source| JourneyError::Http {
            step: "client",
            source,
        })?;
    let api_key =
        sandbox
            .key_for(program.sandbox_kind())
            .ok_or_else(|| JourneyError::Mismatch {
                step: "setup",
                detail: format!("the sandbox has no {} key", program.label()),
            })?;
    let http_err = |step: &'static str| move |source| JourneyError::Http { step, source };

    // 1. Land on the referral link: the shop answers with a server-set cookie.
    let step = "landing";
    let res = http
        .get(format!(
            "{shop_url}/?{}={}&utm_source=newsletter",
            program.query_param(),
            program.demo_key()
        ))
        .send()
        .await
        .map_err(http_err(step))?;
    check(res.status().is_success(), step, || {
        format!("status {}", res.status())
    })?;
    let raw = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{}=", program.cookie_name())))
        .map(str::to_owned);
    let raw = raw.ok_or_else(|| JourneyError::Mismatch {
        step,
        detail: format!("no {} cookie was set", program.cookie_name()),
    })?;
    let parsed = cookie::Cookie::parse(raw.clone()).map_err(|e| JourneyError::Mismatch {
        step,
        detail: format!("unparsable Set-Cookie {raw:?}: {e}"),
    })?;
    let cookie = CookieSeen {
        pair: format!("{}={}", parsed.name(), parsed.value()),
        max_age: parsed.max_age().map(|d| d.whole_seconds()),
        path: parsed.path().map(str::to_owned),
        same_site: parsed.same_site().map(|s| s.to_string()),
        secure: parsed.secure().unwrap_or(false),
        http_only: parsed.http_only().unwrap_or(false),
    };
    check(parsed.value() == program.demo_key(), step, || {
        format!("cookie value {:?}", parsed.value())
    })?;
    check(cookie.max_age == Some(30 * 86_400), step, || {
        format!("Max-Age {:?}", cookie.max_age)
    })?;
    check(cookie.path.as_deref() == Some("/"), step, || {
        format!("Path {:?}", cookie.path)
    })?;
    check(cookie.same_site.as_deref() == Some("Lax"), step, || {
        format!("SameSite {:?}", cookie.same_site)
    })?;
    check(cookie.secure && !cookie.http_only, step, || {
        format!("Secure/HttpOnly {raw}")
    })?;
    let balance_before = referrer_balance(sandbox, &api_key, program);

    // 2. Sign up on a page without the referral parameter: the cookie carries the attribution.
    let step = "sign-up";
    let email = format!("visitor-{:08x}@example.com", fastrand::u32(..));
    let reply: SignupReply = json_reply(
        step,
        http.post(format!("{shop_url}/signup"))
            .json(&json!({ "email": email, "name": "Visitor" }))
            .send()
            .await
            .map_err(http_err(step))?,
    )
    .await?;
    check(
        reply.partnero.status == "queued"
            && reply.partnero.referred_by.as_deref() == Some(program.demo_key()),
        step,
        || format!("partnero {:?}", reply.partnero),
    )?;
    wait_for(
        step,
        || format!("customer {}", reply.user_id),
        || sandbox.state().customer(&api_key, &reply.user_id).is_some(),
    )
    .await?;
    let state = sandbox.state();
    let stored =
        state
            .customer(&api_key, &reply.user_id)
            .ok_or_else(|| JourneyError::Mismatch {
                step,
                detail: format!("the sandbox holds no customer {}", reply.user_id),
            })?;
    let attributed_to = match program {
        ProgramChoice::Affiliate => stored.partner.as_ref().map(|p| p.key.clone()),
        ProgramChoice::ReferAFriend => state
            .referrer_of(&api_key, &reply.user_id)
            .map(str::to_owned),
    };
    check(
        attributed_to.as_deref() == Some(program.demo_key()),
        step,
        || format!("customer attributed to {attributed_to:?}"),
    )?;
    check(
        stored.email.as_deref() == Some(email.as_str()),
        step,
        || format!("email {:?}", stored.email),
    )?;
    drop(state);

    // 3. Buy: the sale is reported, Partnero computes the commission.
    let step = "purchase";
    let amount = Decimal::new(12_000, 2);
    let bought: PurchaseReply = json_reply(
        step,
        http.post(format!("{shop_url}/purchase"))
            .json(&json!({ "order_id": "order-1", "amount": amount }))
            .send()
            .await
            .map_err(http_err(step))?,
    )
    .await?;
    check(bought.partnero.status == "queued", step, || {
        format!("partnero {:?}", bought.partnero)
    })?;
    wait_for(
        step,
        || format!("transaction {}", bought.transaction_key),
        || {
            !sandbox
                .state()
                .transactions_with_key(&api_key, &bought.transaction_key)
                .is_empty()
        },
    )
    .await?;
    let stored = sandbox
        .state()
        .transactions_with_key(&api_key, &bought.transaction_key)
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    check(stored.len() == 1, step, || {
        format!(
            "{} transactions with key {}",
            stored.len(),
            bought.transaction_key
        )
    })?;
    let commission: Decimal = stored[0].rewards.iter().map(|r| r.amount).sum();
    check(commission == amount * Decimal::new(20, 2), step, || {
        format!("commission {commission}")
    })?;
    let balance_after_sale = referrer_balance(sandbox, &api_key, program);
    check(
        balance_after_sale == balance_before + commission,
        step,
        || format!("referrer balance {balance_before} -> {balance_after_sale}"),
    )?;

    // 4. Refund: the transaction is deleted and the commission reversed.
    let step = "refund";
    let refunded: RefundReply = json_reply(
        step,
        http.post(format!("{shop_url}/refund"))
            .json(&json!({ "order_id": "order-1" }))
            .send()
            .await
            .map_err(http_err(step))?,
    )
    .await?;
    check(refunded.partnero.status == "queued", step, || {
        format!("partnero {:?}", refunded.partnero)
    })?;
    wait_for(
        step,
        || format!("the reversal of {}", bought.transaction_key),
        || {
            sandbox
                .state()
                .transactions_with_key(&api_key, &bought.transaction_key)
                .iter()
                .all(|t| t.deleted)
        },
    )
    .await?;
    let balance_after_refund = referrer_balance(sandbox, &api_key, program);
    check(balance_after_refund == balance_before, step, || {
        format!("referrer balance after refund {balance_after_refund}, was {balance_before}")
    })?;

    // 5. Dashboard: read back from the API.
    let step = "dashboard";
    let dash: DashboardReply = json_reply(
        step,
        http.get(format!("{shop_url}/dashboard"))
            .send()
            .await
            .map_err(http_err(step))?,
    )
    .await?;
    check(dash.partnero_error.is_none(), step, || {
        format!("error {:?}", dash.partnero_error)
    })?;
    check(
        dash.referred_by.as_deref() == Some(program.demo_key()),
        step,
        || format!("referred_by {:?}", dash.referred_by),
    )?;
    if program == ProgramChoice::ReferAFriend {
        check(dash.referral_link.is_some(), step, || {
            "no referral link".into()
        })?;
    }
    check(
        dash.outbox.as_ref().is_some_and(|o| o.dead == 0),
        step,
        || format!("outbox {:?}", dash.outbox),
    )?;

    Ok(JourneyReport {
        framework: framework.to_owned(),
        program,
        cookie,
        user_id: reply.user_id,
        attributed_to: program.demo_key().to_owned(),
        transaction_key: bought.transaction_key,
        amount,
        commission,
        referrer_balance: [balance_before, balance_after_sale, balance_after_refund],
        referral_link: dash.referral_link,
    })
}

/// A shop running on either framework, for journeys and tests.
#[derive(Debug)]
pub enum RunningShop {
    /// On axum.
    Axum(AxumShop),
    /// On actix-web (one worker).
    Actix(ActixShop),
}

impl RunningShop {
    /// Opens a shop on `options.database` and serves it on a free port with `framework`
    /// (`axum` or `actix`), its dispatcher delivering with `client`.
    pub async fn start(
        framework: &str,
        program: ProgramChoice,
        client: partnero_client::Partnero,
        options: &ShopOptions,
    ) -> Result<RunningShop, String> {
        let name = if framework == "axum" { "axum" } else { "actix" };
        let shop = Shop::open(name, program, client.clone(), options)
            .await
            .map(Arc::new)
            .map_err(|e| format!("cannot open the {name} shop: {e}"))?;
        RunningShop::serve(shop, client, 0, 1).await
    }

    /// Serves an open shop on `127.0.0.1:port` (0 = a free port) with its framework (actix:
    /// with `workers` workers).
    pub async fn serve(
        shop: Arc<Shop>,
        client: partnero_client::Partnero,
        port: u16,
        workers: usize,
    ) -> Result<RunningShop, String> {
        let name = shop.framework;
        let started = if name == "axum" {
            AxumShop::start(shop, client, port)
                .await
                .map(RunningShop::Axum)
        } else {
            ActixShop::start(shop, client, port, workers).map(RunningShop::Actix)
        };
        started.map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        match self {
            RunningShop::Axum(shop) => &shop.url,
            RunningShop::Actix(shop) => &shop.url,
        }
    }

    /// The shop (its database, outbox and dispatcher).
    pub fn shop(&self) -> &Shop {
        match self {
            RunningShop::Axum(shop) => &shop.shop,
            RunningShop::Actix(shop) => &shop.shop,
        }
    }

    /// Stops the server at once, dropping open connections; the dispatcher is left alone. An
    /// axum server runs on the caller's runtime and goes with it.
    pub async fn drop_connections(&mut self) {
        match self {
            RunningShop::Axum(_) => {}
            RunningShop::Actix(shop) => shop.drop_connections().await,
        }
    }

    /// Stops the server, then the dispatcher.
    pub async fn stop(self) {
        match self {
            RunningShop::Axum(shop) => shop.stop().await,
            RunningShop::Actix(shop) => shop.stop().await,
        }
    }
}

/// A shop (either framework) whose dispatcher runs on a tokio runtime of its own (its own
/// thread), so that it can be killed: [`kill`](Self::kill) stops the server without letting
/// requests finish and drops the runtime with the dispatcher in it, without any shutdown, as
/// `kill -9` would (short of the process's exit).
#[derive(Debug)]
pub struct KillableShop {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    kill: Option<tokio::sync::oneshot::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KillableShop {
    /// Opens the shop on `options.database` and serves it on a free port. Retries for a few
    /// seconds while the previous shop on the same file still holds its dispatcher lock.
    pub async fn start(
        framework: &'static str,
        program: ProgramChoice,
        client: partnero_client::Partnero,
        options: ShopOptions,
    ) -> Result<KillableShop, String> {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<bool>();
        let thread = std::thread::Builder::new()
            .name("killable-shop".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(format!("no runtime: {err}")));
                        return;
                    }
                };
                let running = runtime.block_on(async move {
                    let mut running =
                        match open_and_serve(framework, program, client, &options).await {
                            Ok(running) => running,
                            Err(err) => {
                                let _ = ready_tx.send(Err(err));
                                return None;
                            }
                        };
                    let _ = ready_tx.send(Ok(running.url().to_owned()));
                    // `true`: a graceful stop; `false` (or the handle dropped): a kill.
                    if killed.await.unwrap_or(false) {
                        running.stop().await;
                        None
                    } else {
                        running.drop_connections().await;
                        Some(running)
                    }
                });
                // A kill: the runtime goes with every task on it (axum's server and
                // connections, the dispatcher), none of them polled again. The handle is dropped in the
                // runtime's context, before it (its database pool closes there).
                let _guard = runtime.enter();
                drop(running);
            })
            .map_err(|e| format!("cannot start a thread: {e}"))?;
        let url = ready_rx
            .await
            .map_err(|_| "the shop's thread died while starting".to_owned())??;
        Ok(KillableShop {
            url,
            kill: Some(kill),
            thread: Some(thread),
        })
    }

    /// Kills the shop: no graceful shutdown of the server, none of the dispatcher.
    pub async fn kill(mut self) {
        self.end(false).await;
    }

    /// Stops the shop gracefully (server, then dispatcher).
    pub async fn stop(mut self) {
        self.end(true).await;
    }

    async fn end(&mut self, graceful: bool) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(graceful);
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

async fn open_and_serve(
    framework: &'static str,
    program: ProgramChoice,
    client: partnero_client::Partnero,
    options: &ShopOptions,
) -> Result<RunningShop, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let shop = loop {
        match Shop::open(framework, program, client.clone(), options).await {
            Ok(shop) => break shop,
            Err(OpenError::Outbox(partnero_outbox::Error::DispatcherRunning { .. }))
                if Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err.to_string()),
        }
    };
    RunningShop::serve(Arc::new(shop), client, 0, 1).await
}

/// What Partnero holds for a set of customers and their sales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Customers.
    pub customers: usize,
    /// Transactions recorded (a sale sent twice counts twice).
    pub transactions: usize,
    /// Of those, refunded (deleted).
    pub refunded: usize,
}

impl Counts {
    fn of(sandbox: &Sandbox, api_key: &str, users: &[String], keys: &[String]) -> Counts {
        let state = sandbox.state();
        let transactions: Vec<bool> = keys
            .iter()
            .flat_map(|key| state.transactions_with_key(api_key, key))
            .map(|t| t.deleted)
            .collect();
        Counts {
            customers: users
                .iter()
                .filter(|u| state.customer(api_key, u).is_some())
                .count(),
            transactions: transactions.len(),
            refunded: transactions.iter().filter(|d| **d).count(),
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} customers, {} transactions, {} refunded",
            self.customers, self.transactions, self.refunded
        )
    }
}

/// What [`outage_and_restart`] saw.
#[derive(Debug, Clone)]
pub struct RestartReport {
    /// `axum` or `actix`.
    pub framework: &'static str,
    /// What every visitor did, for Partnero.
    pub expected: Counts,
    /// What Partnero held while it was down (nothing).
    pub during_outage: Counts,
    /// What Partnero held once delivery settled after the restart.
    pub recorded: Counts,
    /// Events the shop had queued when it was killed.
    pub queued: usize,
    /// How long after Partnero came back everything had arrived.
    pub delivered_after: Duration,
}

impl RestartReport {
    /// Whether everything arrived, exactly once.
    pub fn matches(&self) -> bool {
        self.recorded == self.expected
    }

    /// A short readable report.
    pub fn render(&self) -> String {
        format!(
            "[{} / affiliate: Partnero down, shop killed and restarted]\n  outage      {} events queued, Partnero holds {}\n  restart     shop killed (no shutdown), started again on the same database\n  recovery    Partnero back; delivered in {:.1} s\n  expected    {}\n  recorded    {}{}\n",
            self.framework,
            self.queued,
            self.during_outage,
            self.delivered_after.as_secs_f64(),
            self.expected,
            self.recorded,
            if self.matches() {
                "  (exactly once)"
            } else {
                "  MISMATCH"
            },
        )
    }
}

async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    step: &'static str,
    url: String,
) -> Result<T, JourneyError> {
    let res = http
        .get(url)
        .send()
        .await
        .map_err(|source| JourneyError::Http { step, source })?;
    json_reply(step, res).await
}

async fn post_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    step: &'static str,
    url: String,
    body: serde_json::Value,
) -> Result<T, JourneyError> {
    let res = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|source| JourneyError::Http { step, source })?;
    json_reply(step, res).await
}

/// Partnero goes down; three visitors of `demo-partner` sign up and buy on a `framework`
/// (`axum` or `actix`) shop (the database in `options`), one of them repeats a purchase and one refunds; the shop is
/// killed, started again on the same database (the visitors' sessions still work), Partnero
/// comes back, and the journey waits until the sandbox holds everything, then a little longer
/// for anything sent twice. The report compares expected and recorded counts.
pub async fn outage_and_restart(
    framework: &'static str,
    sandbox: &Sandbox,
    client: partnero_client::Partnero,
    options: ShopOptions,
) -> Result<RestartReport, JourneyError> {
    let program = ProgramChoice::Affiliate;
    let api_key =
        sandbox
            .key_for(program.sandbox_kind())
            .ok_or_else(|| JourneyError::Mismatch {
                step: "setup",
                detail: "the sandbox has no affiliate key".into(),
            })?;
    let setup_err = |detail: String| JourneyError::Mismatch {
        step: "setup",
        detail,
    };
    let faults = sandbox.faults();
    faults.refuse_connections(true);
    faults.settled().await;

    let shop = KillableShop::start(framework, program, client.clone(), options.clone())
        .await
        .map_err(setup_err)?;
    let step = "outage";
    let mut visitors = Vec::new();
    let (mut users, mut keys) = (Vec::new(), Vec::new());
    let mut queued = 0;
    for n in 0..3u32 {
        let http = reqwest::Client::builder()
            .no_proxy()
            .cookie_store(true)
            .build()
            .map_err(|source| JourneyError::Http { step, source })?;
        http.get(format!("{}/?aff={}", shop.url, program.demo_key()))
            .send()
            .await
            .map_err(|source| JourneyError::Http { step, source })?;
        let email = format!("restart-{n}-{:08x}@example.com", fastrand::u32(..));
        let signed_up: SignupReply = post_json(
            &http,
            step,
            format!("{}/signup", shop.url),
            json!({ "email": email, "name": format!("Visitor {n}") }),
        )
        .await?;
        let amount = Decimal::new(5_000 + 1_000 * i64::from(n), 2);
        let bought: PurchaseReply = post_json(
            &http,
            step,
            format!("{}/purchase", shop.url),
            json!({ "order_id": "order-1", "amount": amount }),
        )
        .await?;
        for status in [&signed_up.partnero.status, &bought.partnero.status] {
            check(status == "queued", step, || format!("status {status}"))?;
        }
        queued += 2;
        if n == 1 {
            // The visitor's browser sends the purchase again: nothing more is queued.
            let again: PurchaseReply = post_json(
                &http,
                step,
                format!("{}/purchase", shop.url),
                json!({ "order_id": "order-1", "amount": amount }),
            )
            .await?;
            check(again.partnero.status == "already_queued", step, || {
                format!("repeat: {:?}", again.partnero)
            })?;
        }
        if n == 2 {
            let refunded: RefundReply = post_json(
                &http,
                step,
                format!("{}/refund", shop.url),
                json!({ "order_id": "order-1" }),
            )
            .await?;
            check(refunded.partnero.status == "queued", step, || {
                format!("refund: {:?}", refunded.partnero)
            })?;
            queued += 1;
        }
        users.push(signed_up.user_id);
        keys.push(bought.transaction_key);
        visitors.push(http);
    }
    let expected = Counts {
        customers: 3,
        transactions: 3,
        refunded: 1,
    };
    // Let the dispatcher try (and fail) a few times before the kill.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let during_outage = Counts::of(sandbox, &api_key, &users, &keys);

    let step = "restart";
    shop.kill().await;
    let shop = KillableShop::start(framework, program, client, options)
        .await
        .map_err(setup_err)?;
    // The restarted shop knows its visitors: their session cookies still log them in.
    let dash: DashboardReply =
        get_json(&visitors[0], step, format!("{}/dashboard", shop.url)).await?;
    check(dash.user_id == users[0], step, || {
        format!("the session now belongs to {}", dash.user_id)
    })?;

    let step = "recovery";
    faults.refuse_connections(false);
    let back = Instant::now();
    let arrived = wait_for(
        step,
        || format!("{expected}"),
        || Counts::of(sandbox, &api_key, &users, &keys) == expected,
    )
    .await;
    let delivered_after = back.elapsed();
    // Wait until the outbox is empty: anything sent twice would have arrived by then.
    let deadline = Instant::now() + DELIVERY_DEADLINE;
    loop {
        let dash: DashboardReply =
            get_json(&visitors[0], step, format!("{}/dashboard", shop.url)).await?;
        let outbox = dash.outbox.unwrap_or_default();
        if outbox.waiting == 0 || Instant::now() >= deadline {
            check(outbox.waiting == 0 && outbox.dead == 0, step, || {
                format!("outbox {outbox:?} after {} s", DELIVERY_DEADLINE.as_secs())
            })?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recorded = Counts::of(sandbox, &api_key, &users, &keys);
    shop.stop().await;
    if let Err(err) = arrived {
        // The report says what is missing (or doubled).
        tracing::warn!(error = %err, "the restart journey did not settle");
    }
    Ok(RestartReport {
        framework,
        expected,
        during_outage,
        recorded,
        queued,
        delivered_after,
    })
}
