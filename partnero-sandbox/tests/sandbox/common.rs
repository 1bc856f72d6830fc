//! Shared helpers: a started sandbox plus a plain reqwest client.
#![allow(dead_code, unreachable_pub)]

use partnero_sandbox::{Sandbox, SandboxConfig};
use reqwest::{Method, Response};
use serde_json::Value;

pub const AFF: &str = "sk_test_affiliate";
pub const RAF: &str = "sk_test_refer";

pub struct Api {
    pub sandbox: Sandbox,
    pub client: reqwest::Client,
}

/// A status and the parsed body (a JSON string holding the raw text if the body is not JSON).
pub type Answer = (u16, Value);

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client")
}

impl Api {
    pub async fn start() -> Api {
        Self::start_with(SandboxConfig::new()).await
    }

    pub async fn start_with(config: SandboxConfig) -> Api {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        Api {
            sandbox,
            client: client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// `GET /v1/test` with the affiliate key through `http` (pass a fresh client to open a new
    /// connection): the status, or the transport error.
    pub async fn probe(&self, http: &reqwest::Client) -> reqwest::Result<u16> {
        Ok(self.probe_response(http).await?.status().as_u16())
    }

    /// [`probe`](Self::probe)'s whole response.
    pub async fn probe_response(&self, http: &reqwest::Client) -> reqwest::Result<Response> {
        http.get(self.url("/test")).bearer_auth(AFF).send().await
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://{}/_sandbox{}", self.sandbox.addr(), path)
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self
            .client
            .request(method, url)
            .header("Accept", "application/json");
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((status, value))
    }

    pub async fn get(&self, key: &str, path: &str) -> Answer {
        self.send(Method::GET, &self.url(path), Some(key), None)
            .await
            .expect("GET answered")
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Answer {
        self.send(Method::POST, &self.url(path), Some(key), Some(body))
            .await
            .expect("POST answered")
    }

    pub async fn put(&self, key: &str, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, &self.url(path), Some(key), Some(body))
            .await
            .expect("PUT answered")
    }

    pub async fn delete(&self, key: &str, path: &str) -> Answer {
        self.send(Method::DELETE, &self.url(path), Some(key), None)
            .await
            .expect("DELETE answered")
    }

    /// DELETE naming the resource in a JSON body (`{"key": ...}`).
    pub async fn delete_with(&self, key: &str, path: &str, body: Value) -> Answer {
        self.send(Method::DELETE, &self.url(path), Some(key), Some(body))
            .await
            .expect("DELETE answered")
    }

    /// POST without a body (archive-like actions).
    pub async fn post_empty(&self, key: &str, path: &str) -> Answer {
        self.send(Method::POST, &self.url(path), Some(key), None)
            .await
            .expect("POST answered")
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, &self.admin_url(path), None, Some(body))
            .await
            .expect("admin POST answered")
    }

    pub async fn admin_get(&self, path: &str) -> Answer {
        self.send(Method::GET, &self.admin_url(path), None, None)
            .await
            .expect("admin GET answered")
    }

    /// Creates an affiliate partner and returns its JSON.
    /// A partner with `partner_key` and `email` (returned), and a customer `customer_key` it
    /// referred.
    pub async fn referred_customer(
        &self,
        partner_key: &str,
        email: &str,
        customer_key: &str,
    ) -> Value {
        let partner = self.partner(partner_key, email).await;
        let customer = serde_json::json!({"key": customer_key, "partner": {"key": partner_key}});
        assert_eq!(self.post(AFF, "/customers", customer).await.0, 201);
        partner
    }

    pub async fn partner(&self, key: &str, email: &str) -> Value {
        let (status, body) = self
            .post(
                AFF,
                "/partners",
                serde_json::json!({"key": key, "email": email, "name": "P"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["data"].clone()
    }
}

/// Asserts the error envelope: `status: 0` and a message.
pub fn assert_error(answer: &Answer, status: u16) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["status"], 0, "{}", answer.1);
    assert!(answer.1["message"].is_string(), "{}", answer.1);
}

/// Asserts a 422 with an error on `field`.
pub fn assert_field_error(answer: &Answer, field: &str) {
    assert_error(answer, 422);
    assert!(
        answer.1["errors"][field]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "expected errors.{field}: {}",
        answer.1
    );
}

/// A response header as text.
pub fn header<'r>(response: &'r Response, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}
