//! Helpers the modules share: a client pointed at a wiremock server, and a server that gives
//! every request of one method the same answer.

use partnero_client::{Partnero, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client for `server`'s `/v1/` with `api_key` and `retry`.
pub(crate) fn wiremock_client(server: &MockServer, api_key: &str, retry: RetryPolicy) -> Partnero {
    Partnero::builder(api_key)
        .base_url(format!("{}/v1/", server.uri()))
        .retry(retry)
        .build()
        .unwrap()
}

/// A list page: `items`, `links.next` and `meta`.
pub(crate) fn page_answer(items: Value, next: Option<String>, meta: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": items,
        "links": {"first": null, "last": null, "prev": null, "next": next},
        "meta": meta,
        "status": 1
    }))
}

/// A started server answering every `verb` request with `answer`.
pub(crate) async fn answering(verb: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// A started partnero-sandbox with its demo data.
pub(crate) async fn demo_sandbox() -> partnero_sandbox::Sandbox {
    partnero_sandbox::Sandbox::start(partnero_sandbox::SandboxConfig::new().seed_demo(true))
        .await
        .unwrap()
}

/// A client (default retry policy) for the sandbox program of `kind`, and its API key.
pub(crate) fn sandbox_client(
    sandbox: &partnero_sandbox::Sandbox,
    kind: partnero_sandbox::ProgramKind,
) -> (Partnero, String) {
    use partnero_sandbox::ProgramKind;
    let key = sandbox.key_for(kind).unwrap();
    let program = match kind {
        ProgramKind::ReferAFriend => partnero_client::Program::ReferAFriend,
        ProgramKind::Newsletter => partnero_client::Program::Newsletter,
        _ => partnero_client::Program::Affiliate,
    };
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .program(program)
        .build()
        .unwrap();
    (client, key)
}

/// The HTTP status of a failed call (panics on success).
pub(crate) fn status_of<T: std::fmt::Debug>(result: Result<T, partnero_client::Error>) -> u16 {
    result.unwrap_err().status().unwrap_or_default()
}
