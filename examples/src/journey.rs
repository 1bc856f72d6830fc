//! The visitor's journey, played over real HTTP against a running shop, checked against what
//! the sandbox stored: land on a referral link, sign up, buy, get refunded.
//!
//! The walkthrough prints its report; the end-to-end tests assert on it.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::setup::ProgramChoice;
use crate::shop::{DashboardReply, PurchaseReply, RefundReply, SignupReply};
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
            "[{} / {}]\n  landing     Set-Cookie {} (Max-Age {days}, Path={}, SameSite={}, {}, {})\n  sign-up     customer {} attributed to {}\n  purchase    transaction {} of {} -> commission {}\n  refund      transaction deleted, commission reversed\n  balance     referrer {}: {} -> {} -> {}\n",
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
    check(reply.partnero.outcome == "attributed", step, || {
        format!("outcome {:?}", reply.partnero)
    })?;
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
    check(bought.partnero.outcome == "recorded", step, || {
        format!("outcome {:?}", bought.partnero)
    })?;
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
    check(
        bought.partnero.rewards.iter().copied().sum::<Decimal>() == commission,
        step,
        || format!("shop reported rewards {:?}", bought.partnero.rewards),
    )?;
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
    check(refunded.partnero.outcome == "reversed", step, || {
        format!("outcome {:?}", refunded.partnero)
    })?;
    let deleted = sandbox
        .state()
        .transactions_with_key(&api_key, &bought.transaction_key)
        .iter()
        .all(|t| t.deleted);
    check(deleted, step, || {
        "the transaction is still live in the sandbox".into()
    })?;
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
