//! `links.next` pagination: streams follow same-origin links only, and each paged endpoint's
//! stream walks partnero-sandbox's pages.

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use partnero_client::{
    CustomerSearch, Error, ListParams, NewCustomer, NewPartner, NewReferralLink, NewSubscriber,
    PartnerSearch, Partnero, ReferralLinkSearch, RetryPolicy, SubscriberSearch,
};
use partnero_sandbox::ProgramKind;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{answering, demo_sandbox, page_answer, sandbox_client, wiremock_client};

fn client(server: &MockServer) -> Partnero {
    wiremock_client(server, "sk_test", RetryPolicy::default())
}

fn page(keys: &[&str], next: Option<String>) -> ResponseTemplate {
    let data: Vec<_> = keys.iter().map(|k| json!({"key": k})).collect();
    page_answer(json!(data), next, json!({"current_page": 1, "per_page": 2}))
}

#[tokio::test]
async fn stream_follows_next_links_and_keeps_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param_is_missing("page"))
        .and(query_param("limit", "2"))
        .respond_with(page(
            &["a", "b"],
            Some(format!("{}/v1/customers?page=2", server.uri())),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .and(query_param("limit", "2"))
        .respond_with(page(
            &["c", "d"],
            Some("/v1/customers?page=3&limit=2".into()),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "3"))
        .respond_with(page(&["e"], None))
        .expect(1)
        .mount(&server)
        .await;

    let keys: Vec<String> = client(&server)
        .customers()
        .stream(ListParams::new().limit(2))
        .map(|c| c.unwrap().key.unwrap())
        .collect()
        .await;
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
}

#[tokio::test]
async fn stream_stops_at_a_foreign_next_link_without_sending_the_token() {
    let server = MockServer::start().await;
    let foreign = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/transactions"))
        .respond_with(page(
            &["t1", "t2"],
            Some(format!("{}/v1/transactions?page=2", foreign.uri())),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(page(&["stolen"], None))
        .mount(&foreign)
        .await;

    let items: Vec<_> = client(&server)
        .transactions()
        .stream(ListParams::new())
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].as_ref().unwrap().key.as_deref(), Some("t1"));
    assert_eq!(items[1].as_ref().unwrap().key.as_deref(), Some("t2"));
    match &items[2] {
        Err(Error::ForeignNextLink { origin }) => assert_eq!(origin, &foreign.uri()),
        other => panic!("{other:?}"),
    }
    assert!(
        foreign.received_requests().await.unwrap().is_empty(),
        "the foreign host must not be contacted"
    );
}

#[tokio::test]
async fn stream_ends_after_an_error_page() {
    let server = answering("GET", ResponseTemplate::new(401)).await;
    let items: Vec<_> = client(&server)
        .webhooks()
        .stream(ListParams::new())
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(matches!(items[0], Err(Error::Unauthorized)));
}

#[tokio::test]
async fn stream_stops_when_next_points_back_to_the_same_page() {
    let server = MockServer::start().await;
    let same = format!("{}/v1/partners?page=1", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1/partners"))
        .respond_with(page(&["p"], Some(same.clone())))
        .expect(1)
        .mount(&server)
        .await;
    let items: Vec<_> = client(&server)
        .partners()
        .stream(ListParams::new().page(1))
        .collect()
        .await;
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn stream_stops_with_an_error_when_next_leads_back_to_an_earlier_page() {
    // A -> B -> A: without loop detection the stream would re-send A's URL forever.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param_is_missing("page"))
        .respond_with(page(
            &["a", "b"],
            Some(format!("{}/v1/customers?page=2", server.uri())),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("page", "2"))
        .respond_with(page(&["c"], Some(format!("{}/v1/customers", server.uri()))))
        .mount(&server)
        .await;
    // `take` bounds the test if the stream loops.
    let items: Vec<_> = client(&server)
        .customers()
        .stream(ListParams::new())
        .take(10)
        .collect()
        .await;
    assert_eq!(items.len(), 4, "{items:?}");
    let keys: Vec<_> = items[..3]
        .iter()
        .map(|r| r.as_ref().unwrap().key.clone().unwrap())
        .collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert!(
        matches!(items[3], Err(Error::PaginationLoop { pages: 2 })),
        "{:?}",
        items[3]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// Each stream's items named by `name`, boxed so streams of different types share a table.
fn named<T: 'static, S>(
    stream: S,
    name: fn(T) -> Option<String>,
) -> BoxStream<'static, Result<String, Error>>
where
    S: futures_core::Stream<Item = Result<T, Error>> + Send + 'static,
{
    stream
        .map_ok(move |item| name(item).unwrap_or_default())
        .boxed()
}

#[tokio::test]
async fn search_referral_and_domain_streams_walk_every_sandbox_page() {
    let sb = demo_sandbox().await;
    let (aff, _) = sandbox_client(&sb, ProgramKind::Affiliate);
    let (raf, _) = sandbox_client(&sb, ProgramKind::ReferAFriend);
    let (news, _) = sandbox_client(&sb, ProgramKind::Newsletter);
    let five = |prefix: &str| (1..=5).map(|i| format!("{prefix}-{i}")).collect::<Vec<_>>();

    let customers = five("bought");
    let partners = five("partner");
    let referred = five("friend");
    let links = five("link");
    // Subscriber pages hold 10 at least.
    let subscribers: Vec<_> = (1..=11).map(|i| format!("s{i}@example.com")).collect();
    for key in &customers {
        aff.customers()
            .create(&NewCustomer::new(key).partner_key("demo-partner"))
            .await
            .unwrap();
    }
    for key in &partners {
        aff.partners()
            .create(&NewPartner::new(format!("{key}@example.com")).key(key))
            .await
            .unwrap();
    }
    for key in &links {
        aff.partner_referral_links()
            .create(&NewReferralLink::for_partner_key(key, "demo-partner"))
            .await
            .unwrap();
    }
    for key in &referred {
        raf.customers()
            .create(&NewCustomer::new(key).referring_customer_key("demo-referrer"))
            .await
            .unwrap();
    }
    for email in &subscribers {
        news.subscribers()
            .create(&NewSubscriber::new(email))
            .await
            .unwrap();
    }
    let with_demo = |demo: &str, created: &[String]| {
        std::iter::once(demo.to_owned())
            .chain(created.iter().cloned())
            .collect::<Vec<_>>()
    };

    // (stream, page size, every item in order)
    let table = [
        (
            "customers:search",
            named(
                aff.customers()
                    .stream_search(&CustomerSearch::new().partner_key("demo-partner").limit(2)),
                |c| c.key,
            ),
            2,
            customers.clone(),
        ),
        (
            "partners:search",
            named(
                aff.partners().stream_search(&PartnerSearch::new().limit(2)),
                |p| p.key,
            ),
            2,
            with_demo("demo-partner", &partners),
        ),
        (
            "customers/{key}/referrals",
            named(
                raf.customers()
                    .stream_referrals("demo-referrer", ListParams::new().limit(2)),
                |c| c.key,
            ),
            2,
            referred.clone(),
        ),
        (
            "partner_referral_links:search",
            named(
                aff.partner_referral_links()
                    .stream_search(&ReferralLinkSearch::new().limit(2)),
                |l| l.key,
            ),
            2,
            links.clone(),
        ),
        (
            "subscribers:search",
            named(
                news.subscribers()
                    .stream_search(&SubscriberSearch::new().limit(10)),
                |s| s.email,
            ),
            10,
            with_demo("demo-subscriber@example.com", &subscribers),
        ),
    ];
    for (endpoint, stream, limit, expected) in table {
        assert!(expected.len() > limit, "{endpoint}: more than one page");
        let got: Vec<String> = stream.try_collect().await.unwrap();
        assert_eq!(got, expected, "{endpoint}");
    }

    // The sandbox has one domain (and no way to add one): the stream yields it once and stops.
    let host = aff
        .partner_referral_links()
        .domains(ListParams::new())
        .await
        .unwrap()
        .data[0]
        .domain
        .clone();
    let domains: Vec<_> = aff
        .partner_referral_links()
        .stream_domains(ListParams::new().limit(1))
        .map_ok(|d| d.domain)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(domains, [host]);
    sb.shutdown().await;
}
