//! The helpers' counters (issue 12, item 10): `partnero_signups_total`, `partnero_sales_total`
//! and `partnero_refunds_total` by outcome, through the `metrics` facade.

use partnero_client::{NewCustomer, Partnero, Program, Sale};
use partnero_core::{KeySource, ReferralContext, ReferralKey};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;

#[path = "../../../partnero-core/tests/core/counting_recorder.rs"]
mod counting_recorder;

use counting_recorder::Counts;

#[test]
fn each_outcome_is_counted() {
    let counts = Counts::default();
    // A thread-local recorder: the runtime, the sandbox and the client all run on this thread.
    metrics::with_local_recorder(&counts, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
                .await
                .unwrap();
            let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
            let c = Partnero::builder(key.as_str())
                .base_url(sandbox.base_url())
                .program(Program::Affiliate)
                .build()
                .unwrap();
            let referred = ReferralContext::new().with_partner(
                ReferralKey::parse("demo-partner").unwrap(),
                KeySource::Cookie,
            );
            c.signup(&referred, NewCustomer::new("buyer"))
                .await
                .unwrap();
            c.signup(&ReferralContext::new(), NewCustomer::new("organic"))
                .await
                .unwrap();
            c.signup(&referred, NewCustomer::new("buyer"))
                .await
                .unwrap();
            let sale = || Sale::new(Decimal::from(10)).key("pay-1");
            c.sale("buyer", sale()).await.unwrap();
            c.sale("buyer", sale()).await.unwrap();
            c.sale("organic", Sale::new(Decimal::from(10)).key("pay-2"))
                .await
                .unwrap();
            c.refund("pay-1").await.unwrap();
            c.refund("pay-1").await.unwrap();
            sandbox.faults().refuse_connections(true);
            sandbox.faults().settled().await;
            assert!(c.refund("pay-3").await.is_err());
            sandbox.shutdown().await;
        });
    });
    for (name, count) in [
        ("partnero_signups_total{outcome=attributed}", 1),
        ("partnero_signups_total{outcome=not_referred}", 1),
        ("partnero_signups_total{outcome=already_exists}", 1),
        ("partnero_sales_total{outcome=recorded}", 1),
        ("partnero_sales_total{outcome=already_recorded}", 1),
        ("partnero_sales_total{outcome=customer_unknown}", 1),
        ("partnero_refunds_total{outcome=refunded}", 1),
        ("partnero_refunds_total{outcome=unknown_transaction}", 1),
        ("partnero_refunds_total{outcome=error}", 1),
    ] {
        assert_eq!(counts.get(name), count, "{name}");
    }
}
