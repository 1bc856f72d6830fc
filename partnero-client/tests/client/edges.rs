//! The edges of the tracking helpers against partnero-sandbox over HTTP (issue 12): cases where
//! a sign-up, a sale or a refund used to be lost or misreported.

use std::str::FromStr;
use std::time::Duration;

use partnero_client::{
    Error, NewCustomer, Partnero, PartneroBuilder, Program, RefundOutcome, RetryPolicy, Sale,
    SaleOutcome, SignupOutcome,
};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

struct Setup {
    sandbox: Sandbox,
    key: String,
}

async fn setup(kind: ProgramKind) -> Setup {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(kind).unwrap();
    Setup { sandbox, key }
}

impl Setup {
    /// A client of this program with fast retries; `program` as the app would configure it
    /// (`None`: not configured, as with `PARTNERO_PROGRAM` unset).
    fn client(&self, program: Option<Program>) -> Partnero {
        let mut builder = self.builder(fast_retries());
        if let Some(program) = program {
            builder = builder.program(program);
        }
        builder.build().unwrap()
    }

    /// A builder of this program's client on the sandbox, retrying under `retry`.
    fn builder(&self, retry: RetryPolicy) -> PartneroBuilder {
        Partnero::builder(self.key.as_str())
            .base_url(self.sandbox.base_url())
            .retry(retry)
    }

    /// A referred customer `buyer`, created through `c`.
    async fn buyer(&self, c: &Partnero) {
        c.customers()
            .create(&NewCustomer::new("buyer").partner_key("demo-partner"))
            .await
            .unwrap();
    }

    fn posts(&self, path: &str) -> u64 {
        self.sandbox.requests_seen_for("POST", path)
    }
}

/// Retries 10 ms apart and a 10 ms confirm delay, within the default budget.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(10))
        .confirm_delay(Duration::from_millis(10))
}

fn partner_ctx(landing: &str) -> ReferralContext {
    ReferralContext::new()
        .with_partner(
            ReferralKey::parse("demo-partner").unwrap(),
            KeySource::Cookie,
        )
        .with_landing_url(landing)
}

fn referrer_ctx() -> ReferralContext {
    ReferralContext::new().with_referrer(
        ReferralKey::parse("demo-referrer").unwrap(),
        KeySource::Cookie,
    )
}

fn sale(key: &str) -> Sale {
    Sale::new(Decimal::from_str("49.99").unwrap())
        .key(key)
        .action("sale")
}

// (3) A landing URL longer than Partnero's 255-character limit.
#[tokio::test]
async fn a_landing_url_over_255_characters_does_not_cost_the_signup() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    let landing = format!(
        "https://shop.example/?aff=demo-partner&utm_campaign={}",
        "x".repeat(300)
    );
    let outcome = c
        .signup(
            &partner_ctx(&landing),
            NewCustomer::new("long-url").email("long@example.com"),
        )
        .await
        .unwrap();
    assert!(outcome.is_attributed(), "{outcome:?}");
    let state = s.sandbox.state();
    let stored = state.customer(&s.key, "long-url").expect("customer stored");
    let url = stored.referral_url.as_deref().expect("a referral URL kept");
    assert!(url.chars().count() <= 255, "{url}");
    assert!(
        landing.starts_with(url),
        "{url} is a cut of the landing URL"
    );
    s.sandbox.shutdown().await;
}

// (3) Partnero refuses the referral URL for another reason: the sign-up is sent once more
// without it.
#[tokio::test]
async fn a_422_naming_the_referral_url_is_sent_once_more_without_it() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    s.sandbox
        .faults()
        .on("POST", "/v1/customers")
        .fail_next_with_body(
            1,
            422,
            r#"{"message":"The options.referral url format is invalid.","errors":{"options.referral_url":["The options.referral url format is invalid."]},"status":0}"#,
        );
    let outcome = c
        .signup(
            &partner_ctx("https://shop.example/?aff=demo-partner"),
            NewCustomer::new("bad-url"),
        )
        .await
        .unwrap();
    assert!(outcome.is_attributed(), "{outcome:?}");
    assert_eq!(s.posts("/v1/customers"), 2, "sent once more, not more");
    let state = s.sandbox.state();
    let stored = state.customer(&s.key, "bad-url").expect("customer stored");
    assert_eq!(stored.referral_url, None);
    s.sandbox.shutdown().await;
}

// (4) A taken e-mail (the same person under a new account id) is not "already exists".
#[tokio::test]
async fn a_taken_email_is_its_own_outcome() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    let ctx = partner_ctx("https://shop.example/?aff=demo-partner");
    c.signup(&ctx, NewCustomer::new("ann-1").email("ann@example.com"))
        .await
        .unwrap();
    let again = c
        .signup(&ctx, NewCustomer::new("ann-2").email("ann@example.com"))
        .await
        .unwrap();
    assert_eq!(
        again,
        SignupOutcome::EmailTaken {
            existing: Some("ann-1".into())
        }
    );
    assert!(s.sandbox.state().customer(&s.key, "ann-2").is_none());
    s.sandbox.shutdown().await;
}

// (5) A DELETE that failed ambiguously, then 404: nothing says Partnero deleted anything.
#[tokio::test]
async fn a_refund_answered_503_then_404_is_unconfirmed_not_refunded() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    // The sale is still on its way (another request, not recorded yet).
    s.sandbox
        .faults()
        .on("DELETE", "/v1/transactions")
        .fail_next(1, 503);
    let outcome = c.refund("pay-in-flight").await.unwrap();
    assert_eq!(outcome, RefundOutcome::Unconfirmed);
    s.sandbox.shutdown().await;
}

// (5) The same, when the sale exists: the key is looked up, found, and deleted.
#[tokio::test]
async fn a_refund_whose_404_is_contradicted_by_a_look_up_deletes_the_sale() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    s.buyer(&c).await;
    c.transactions()
        .create("buyer", &sale("pay-404"))
        .await
        .unwrap();
    let deletes = s.sandbox.faults().on("DELETE", "/v1/transactions");
    deletes.fail_next(1, 503);
    // A 404 that is not Partnero's word on this key (a proxy, a replica behind).
    deletes.fail_next(1, 404);
    let outcome = c.refund("pay-404").await.unwrap();
    assert_eq!(outcome, RefundOutcome::Refunded);
    assert!(
        s.sandbox.state().live_transactions(&s.key).is_empty(),
        "the commission is reversed"
    );
    s.sandbox.shutdown().await;
}

// (6) The app calls `sale` twice with the same key (a double click, a retried webhook).
#[tokio::test]
async fn a_repeated_keyed_sale_pays_once() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    s.buyer(&c).await;
    let first = c.sale("buyer", sale("pay-twice")).await.unwrap();
    let second = c.sale("buyer", sale("pay-twice")).await.unwrap();
    assert!(
        matches!(
            first,
            SaleOutcome::Recorded {
                recovered: false,
                ..
            }
        ),
        "{first:?}"
    );
    assert!(
        matches!(&second, SaleOutcome::AlreadyRecorded { transaction } if transaction.key.as_deref() == Some("pay-twice")),
        "{second:?}"
    );
    let state = s.sandbox.state();
    assert_eq!(state.transactions_with_key(&s.key, "pay-twice").len(), 1);
    assert_eq!(s.posts("/v1/transactions"), 1);
    s.sandbox.shutdown().await;
}

// (6) A key another customer's sale already has (per-customer order numbers, a subscription id
// reused for each renewal): never reported as this customer's sale, never posted over it.
#[tokio::test]
async fn a_key_of_another_customers_sale_is_an_error_not_already_recorded() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    s.buyer(&c).await;
    c.customers()
        .create(&NewCustomer::new("buyer-2").partner_key("demo-partner"))
        .await
        .unwrap();
    c.sale("buyer", sale("order-1")).await.unwrap();
    let reused = c.sale("buyer-2", sale("order-1")).await;
    match &reused {
        Err(partnero_client::Error::InvalidInput(message)) => {
            assert!(message.contains("another customer"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.posts("/v1/transactions"), 1, "nothing posted over it");
    s.sandbox.shutdown().await;
}

// (7) Affiliate: a sale of a customer nobody referred (Partnero never stored the customer).
#[tokio::test]
async fn an_affiliate_sale_of_an_unreferred_customer_is_an_outcome() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    let outcome = c.sale("organic-buyer", sale("pay-organic")).await.unwrap();
    assert_eq!(outcome, SaleOutcome::CustomerUnknown);
    assert!(s.sandbox.state().live_transactions(&s.key).is_empty());
    s.sandbox.shutdown().await;
}

// (2) A refer-a-friend key while the client was left on the default program: the client
// learns the program from `GET /v1/test` and attributes the sign-up.
#[tokio::test]
async fn an_unset_program_is_learned_and_the_referral_kept() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(None);
    let outcome = c
        .signup(&referrer_ctx(), NewCustomer::new("friend-1"))
        .await
        .unwrap();
    assert!(outcome.is_attributed(), "{outcome:?}");
    assert_eq!(c.program(), Program::ReferAFriend, "learned");
    assert_eq!(
        s.sandbox.state().referrer_of(&s.key, "friend-1"),
        Some("demo-referrer")
    );
    s.sandbox.shutdown().await;
}

// (2) An odd answer to `GET /v1/test` (a proxy's 522) is an error of that call, never
// remembered: the next sign-up asks again, learns the program and keeps the referral.
#[tokio::test]
async fn a_failed_program_check_is_not_remembered() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(None);
    s.sandbox.faults().on("GET", "/v1/test").fail_next(1, 522);
    let first = c
        .signup(&referrer_ctx(), NewCustomer::new("friend-522"))
        .await;
    assert!(first.is_err(), "{first:?}");
    let outcome = c
        .signup(&referrer_ctx(), NewCustomer::new("friend-522"))
        .await
        .unwrap();
    assert!(outcome.is_attributed(), "{outcome:?}");
    assert_eq!(c.program(), Program::ReferAFriend, "learned");
    assert_eq!(
        s.sandbox.state().referrer_of(&s.key, "friend-522"),
        Some("demo-referrer")
    );
    s.sandbox.shutdown().await;
}

// (2) The program is set, to the wrong kind: a distinct outcome, never a silent "not referred".
#[tokio::test]
async fn a_key_of_the_other_program_is_a_distinct_outcome() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(Some(Program::Affiliate));
    let outcome = c
        .signup(&referrer_ctx(), NewCustomer::new("friend-2"))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        SignupOutcome::OtherProgramKey {
            key_program: Program::ReferAFriend,
            customer: None
        }
    );
    assert_eq!(
        s.sandbox.requests_seen_for("GET", "/v1/test"),
        0,
        "a set program is not second-guessed"
    );
    s.sandbox.shutdown().await;
}

// (5) The DELETE was processed, then its answer lost (502), and the retry found nothing: the
// client cannot know that it was its own delete, so it does not claim it.
#[tokio::test]
async fn a_refund_processed_then_lost_is_unconfirmed() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s.client(Some(Program::Affiliate));
    s.buyer(&c).await;
    c.sale("buyer", sale("pay-lost")).await.unwrap();
    s.sandbox
        .faults()
        .on("DELETE", "/v1/transactions")
        .process_then_fail_next(1, 502);
    assert_eq!(
        c.refund("pay-lost").await.unwrap(),
        RefundOutcome::Unconfirmed
    );
    assert!(s.sandbox.state().live_transactions(&s.key).is_empty());
    s.sandbox.shutdown().await;
}

// (6) The documented opt-out: without the look-up, a repeated call posts again (and Partnero
// pays again), which is what `look_up_sales(false)` trades for one request less per sale.
#[tokio::test]
async fn without_the_look_up_a_repeated_sale_pays_twice() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = Partnero::builder(s.key.as_str())
        .base_url(s.sandbox.base_url())
        .program(Program::Affiliate)
        .look_up_sales(false)
        .build()
        .unwrap();
    s.buyer(&c).await;
    c.sale("buyer", sale("pay-opt-out")).await.unwrap();
    c.sale("buyer", sale("pay-opt-out")).await.unwrap();
    let state = s.sandbox.state();
    assert_eq!(state.transactions_with_key(&s.key, "pay-opt-out").len(), 2);
    assert_eq!(
        s.sandbox
            .requests_seen_for("GET", "/v1/transactions/pay-opt-out"),
        0
    );
    s.sandbox.shutdown().await;
}

// (2) Refer-a-friend client, affiliate key: the customer is still created (it gets its own
// link), and the outcome says why it is not attributed.
#[tokio::test]
async fn refer_a_friend_with_an_affiliate_key_creates_the_customer_and_says_so() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(Some(Program::ReferAFriend));
    let outcome = c
        .signup(
            &partner_ctx("https://shop.example/?aff=demo-partner"),
            NewCustomer::new("friend-3"),
        )
        .await
        .unwrap();
    match &outcome {
        SignupOutcome::OtherProgramKey {
            key_program: Program::Affiliate,
            customer: Some(customer),
        } => assert_eq!(customer.key.as_deref(), Some("friend-3")),
        other => panic!("{other:?}"),
    }
    assert!(s.sandbox.state().customer(&s.key, "friend-3").is_some());
    s.sandbox.shutdown().await;
}

// `check()`: one line naming what is wrong.
#[tokio::test]
async fn check_says_what_is_wrong_in_one_line() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let one_line = |e: Error| {
        let text = e.to_string();
        assert!(!text.contains('\n'), "{text}");
        text
    };

    let unset = s.client(None);
    let ok = unset.check().await.unwrap();
    assert!(ok.program.is_some());
    assert_eq!(
        unset.program(),
        Program::ReferAFriend,
        "learned from GET /v1/test"
    );

    let wrong_program = s.client(Some(Program::Affiliate));
    let text = one_line(wrong_program.check().await.unwrap_err());
    assert!(text.contains("PARTNERO_PROGRAM=refer-a-friend"), "{text}");

    let bad_key = Partnero::builder("sk_not_a_key")
        .base_url(s.sandbox.base_url())
        .build()
        .unwrap();
    let text = one_line(bad_key.check().await.unwrap_err());
    assert!(
        text.contains("PARTNERO_API_KEY") && text.contains("401"),
        "{text}"
    );

    let bad_url = Partnero::builder(s.key.as_str())
        .base_url(format!("{}/not-the-api/", s.sandbox.base_url()))
        .build()
        .unwrap();
    let text = one_line(bad_url.check().await.unwrap_err());
    assert!(text.contains("PARTNERO_BASE_URL"), "{text}");

    let nobody = Partnero::builder(s.key.as_str())
        .base_url("http://127.0.0.1:9/v1/")
        .build()
        .unwrap();
    let text = one_line(nobody.check().await.unwrap_err());
    assert!(
        text.contains("cannot connect") && text.contains("PARTNERO_BASE_URL"),
        "{text}"
    );
    s.sandbox.shutdown().await;
}

// (9) The defaults fit a web request: 5 s per attempt, 10 s in all.
#[test]
fn the_defaults_fit_a_web_request() {
    assert_eq!(partnero_client::DEFAULT_TIMEOUT, Duration::from_secs(5));
    assert_eq!(RetryPolicy::default().budget(), Duration::from_secs(10));
    let shown = format!("{:?}", Partnero::new("sk_test"));
    assert!(shown.contains("timeout: Some(5s)"), "{shown}");
}

// (9) The budget bounds the visitor's wait: a request that would start with less than
// `RetryPolicy::MIN_ATTEMPT` of it left is not sent (it would overrun the budget, and a POST
// cut short by its timeout is one whose outcome is unknown). Here the first POST takes 1.3 s
// of a 2 s budget and answers 422 on the referral URL: the resend without it is not sent.
#[tokio::test]
async fn no_request_starts_once_the_helpers_budget_is_spent() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s
        .builder(fast_retries().max_elapsed(Duration::from_secs(2)))
        .program(Program::Affiliate)
        .build()
        .unwrap();
    let creates = s.sandbox.faults().on("POST", "/v1/customers");
    creates.latency(Duration::from_millis(1300));
    creates.fail_next_with_body(
        1,
        422,
        r#"{"message":"The options.referral url format is invalid.","errors":{"options.referral_url":["The options.referral url format is invalid."]},"status":0}"#,
    );
    let ctx = partner_ctx("https://shop.example/?aff=demo-partner");
    let late = c.signup(&ctx, NewCustomer::new("late")).await;
    assert_eq!(s.posts("/v1/customers"), 1, "{late:?}");
    match late {
        Err(e @ Error::BudgetSpent) => {
            assert!(e.is_connect() && !e.is_ambiguous(), "nothing was sent: {e}");
        }
        other => panic!("{other:?}"),
    }
    // The visitor trying again, with Partnero fast again, is attributed.
    creates.latency(Duration::ZERO);
    let again = c.signup(&ctx, NewCustomer::new("late")).await.unwrap();
    assert!(again.is_attributed(), "{again:?}");
    s.sandbox.shutdown().await;
}

// (9) A sale found absent after a refused create is resent only with `MIN_ATTEMPT` of the
// budget left: the first POST takes 1.5 s of 3 s and answers 503, the look-up 1 s and finds
// nothing; the resend, due with half a second left, is not sent (it would overrun the budget,
// and one cut short by its timeout is a sale whose outcome is unknown).
#[tokio::test]
async fn a_sale_is_not_resent_past_the_budget() {
    let s = setup(ProgramKind::Affiliate).await;
    let c = s
        .builder(fast_retries().max_elapsed(Duration::from_secs(3)))
        .program(Program::Affiliate)
        .look_up_sales(false)
        .build()
        .unwrap();
    c.signup(
        &partner_ctx("https://shop.example/?aff=demo-partner"),
        NewCustomer::new("late-buyer"),
    )
    .await
    .unwrap();
    let creates = s.sandbox.faults().on("POST", "/v1/transactions");
    creates.latency(Duration::from_millis(1500));
    creates.fail_next(1, 503);
    s.sandbox
        .faults()
        .on("GET", "/v1/transactions/")
        .latency(Duration::from_secs(1));
    let late = c.sale("late-buyer", sale("late-sale")).await;
    assert_eq!(s.posts("/v1/transactions"), 1, "{late:?}");
    assert!(
        matches!(&late, Err(Error::Api { status: 503, .. })),
        "{late:?}"
    );
    s.sandbox.shutdown().await;
}

/// The `partnero ...` explanation events `recorder` saw.
fn explanations(recorder: &crate::event_recorder::Recorder, what: &str) -> Vec<String> {
    recorder
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("event ") && l.contains(&format!("message=partnero {what}")))
        .collect()
}

// (10) and (2): one event per sign-up, at a level a default subscriber shows, with the outcome
// and the reason; a key of the other program is one WARN naming the fix.
#[tokio::test]
async fn each_signup_explains_itself_in_one_event() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(Some(Program::Affiliate));
    let recorder = crate::event_recorder::Recorder::default();
    let guard = recorder.install();
    c.signup(&referrer_ctx(), NewCustomer::new("friend-4"))
        .await
        .unwrap();
    let raf = s.client(Some(Program::ReferAFriend));
    raf.signup(&referrer_ctx(), NewCustomer::new("friend-5"))
        .await
        .unwrap();
    raf.sale("friend-5", sale("pay-5")).await.unwrap();
    raf.refund("pay-5").await.unwrap();
    drop(guard);

    let signups = explanations(&recorder, "sign-up");
    assert_eq!(signups.len(), 2, "{signups:#?}");
    assert!(signups[0].starts_with("event WARN"), "{}", signups[0]);
    assert!(
        signups[0].contains("outcome=other_program_key")
            && signups[0].contains("set PARTNERO_PROGRAM=refer-a-friend"),
        "{}",
        signups[0]
    );
    assert!(signups[1].starts_with("event INFO"), "{}", signups[1]);
    assert!(signups[1].contains("outcome=attributed"), "{}", signups[1]);
    assert!(
        signups[1].contains("referrer_from=Cookie"),
        "{}",
        signups[1]
    );
    let sales = explanations(&recorder, "sale");
    assert_eq!(sales.len(), 1, "{sales:#?}");
    assert!(sales[0].starts_with("event INFO") && sales[0].contains("outcome=recorded"));
    let refunds = explanations(&recorder, "refund");
    assert_eq!(refunds.len(), 1, "{refunds:#?}");
    assert!(refunds[0].contains("outcome=refunded"), "{}", refunds[0]);
    s.sandbox.shutdown().await;
}

// (2) With the program unset, an organic refer-a-friend sign-up still creates the customer (so
// it gets its own referral link): the first sign-up asks Partnero once which program it is.
#[tokio::test]
async fn an_unset_program_is_asked_once_and_organic_friends_are_created() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(None);
    let first = c
        .signup(&ReferralContext::new(), NewCustomer::new("solo-1"))
        .await
        .unwrap();
    assert!(
        matches!(&first, SignupOutcome::NotReferred { customer: Some(_) }),
        "{first:?}"
    );
    c.signup(&ReferralContext::new(), NewCustomer::new("solo-2"))
        .await
        .unwrap();
    assert!(s.sandbox.state().customer(&s.key, "solo-2").is_some());
    assert_eq!(s.sandbox.requests_seen_for("GET", "/v1/test"), 1);
    s.sandbox.shutdown().await;
}

// (2) Where `GET /v1/test` names no program (Partnero documents only its `pub_id` and
// `name`), the client keeps the affiliate default and asks once; a refer-a-friend key is then
// a distinct outcome with one WARN naming the fix, never a silent "not referred".
#[tokio::test]
async fn an_unnamed_program_makes_a_referral_key_a_distinct_outcome() {
    let config = SandboxConfig::new()
        .seed_demo(true)
        .test_names_program(false);
    let sandbox = Sandbox::start(config).await.unwrap();
    let key = sandbox.key_for(ProgramKind::ReferAFriend).unwrap();
    let s = Setup { sandbox, key };
    let c = s.client(None);
    let recorder = crate::event_recorder::Recorder::default();
    let guard = recorder.install();
    for user in ["unnamed-1", "unnamed-2"] {
        let outcome = c
            .signup(&referrer_ctx(), NewCustomer::new(user))
            .await
            .unwrap();
        assert!(
            matches!(
                outcome,
                SignupOutcome::OtherProgramKey {
                    key_program: Program::ReferAFriend,
                    customer: None,
                }
            ),
            "{outcome:?}"
        );
    }
    drop(guard);
    assert_eq!(s.sandbox.requests_seen_for("GET", "/v1/test"), 1);
    let signups = explanations(&recorder, "sign-up");
    assert_eq!(signups.len(), 2, "{signups:#?}");
    for line in &signups {
        assert!(line.starts_with("event WARN"), "{line}");
        assert!(
            line.contains("set PARTNERO_PROGRAM=refer-a-friend"),
            "{line}"
        );
    }
    s.sandbox.shutdown().await;
}

// (2) Partnero cannot say which program it is (an outage): the sign-up fails and is not made
// under a guessed program (an affiliate guess would skip a refer-a-friend customer for good).
#[tokio::test]
async fn an_unset_program_is_not_guessed_during_an_outage() {
    let s = setup(ProgramKind::ReferAFriend).await;
    let c = s.client(None);
    s.sandbox.faults().on("GET", "/v1/test").fail_next(3, 503);
    let failed = c
        .signup(&ReferralContext::new(), NewCustomer::new("solo-3"))
        .await;
    assert!(matches!(&failed, Err(e) if e.is_transient()), "{failed:?}");
    assert_eq!(s.posts("/v1/customers"), 0);
    let later = c
        .signup(&ReferralContext::new(), NewCustomer::new("solo-3"))
        .await
        .unwrap();
    assert!(
        matches!(&later, SignupOutcome::NotReferred { customer: Some(_) }),
        "{later:?}"
    );
    s.sandbox.shutdown().await;
}

// (10) A durable dispatcher's client (`single_attempt`) retries failures itself: its failed
// calls are explained at DEBUG, not one WARN per attempt through an outage; an inline client
// warns.
#[tokio::test]
async fn a_dispatcher_client_explains_its_failures_quietly() {
    let s = setup(ProgramKind::Affiliate).await;
    let inline = s.client(Some(Program::Affiliate));
    let durable = inline.single_attempt(Duration::from_secs(5));
    let creates = s.sandbox.faults().on("POST", "/v1/customers");
    let ctx = partner_ctx("https://shop.example/?aff=demo-partner");
    let recorder = crate::event_recorder::Recorder::default();
    let guard = recorder.install();
    creates.fail_next(1, 500);
    assert!(durable.signup(&ctx, NewCustomer::new("d-1")).await.is_err());
    creates.fail_next(3, 500);
    assert!(inline.signup(&ctx, NewCustomer::new("d-2")).await.is_err());
    drop(guard);
    let signups = explanations(&recorder, "sign-up");
    assert_eq!(signups.len(), 2, "{signups:#?}");
    assert!(signups[0].starts_with("event DEBUG"), "{}", signups[0]);
    assert!(signups[1].starts_with("event WARN"), "{}", signups[1]);
    assert!(signups.iter().all(|l| l.contains("outcome=error")));
    s.sandbox.shutdown().await;
}

// A newsletter program's key: the helpers say what to use instead, before any request.
#[tokio::test]
async fn the_helpers_refuse_a_newsletter_program_clearly() {
    let s = setup(ProgramKind::Newsletter).await;
    let c = s.client(Some(Program::Newsletter));
    let signup = c
        .signup(
            &partner_ctx("https://shop.example/?aff=demo-partner"),
            NewCustomer::new("n1"),
        )
        .await;
    let purchase = c
        .purchase(
            &ReferralContext::new(),
            NewCustomer::new("n1"),
            sale("news-1"),
        )
        .await;
    for result in [signup.map(|_| ()), purchase.map(|_| ())] {
        match result {
            Err(partnero_client::Error::InvalidInput(message)) => {
                assert!(message.contains("subscribers"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(s.posts("/v1/customers") + s.posts("/v1/transactions"), 0);
    s.sandbox.shutdown().await;
}
