//! The program itself: `GET /program`, `GET /program/overview` and `PUT /settings`.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Partnero;
use super::endpoint::Endpoint;
use super::transport::RetryRule;
use crate::Error;
use crate::model::{ProgramInfo, ProgramOverview};

#[derive(Serialize)]
struct SettingsBody<'a> {
    settings: &'a Map<String, Value>,
}

#[derive(serde::Deserialize, Default)]
struct SettingsAnswer {
    #[serde(default)]
    settings: Map<String, Value>,
}

impl Partnero {
    /// `GET /program`: the program's public id, name and type; its settings are in
    /// [`extra`](ProgramInfo::extra) (`settings`).
    pub async fn program_details(&self) -> Result<ProgramInfo, Error> {
        self.fetch(&Endpoint::new(Method::GET, "/program"), &[])
            .await
    }

    /// `GET /program/overview`: the program's dashboard figures, as sent.
    ///
    /// ```no_run
    /// # async fn run(client: partnero_client::Partnero) -> Result<(), partnero_client::Error> {
    /// let overview = client.program_overview().await?;
    /// println!("revenue: {:?}", overview.get("revenue"));
    /// # Ok(()) }
    /// ```
    pub async fn program_overview(&self) -> Result<ProgramOverview, Error> {
        self.fetch(&Endpoint::new(Method::GET, "/program/overview"), &[])
            .await
    }

    /// `PUT /settings` with `{"settings": {...}}`; returns the settings the answer carries
    /// (empty when it carries none). Partnero does not document the settings' names.
    pub async fn update_settings(
        &self,
        settings: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Error> {
        let endpoint = Endpoint::new(Method::PUT, "/settings");
        let call = self.call_with_body(&endpoint, &[], &SettingsBody { settings })?;
        let answer: SettingsAnswer = self
            .send(&call, RetryRule::Idempotent)
            .await?
            .data_or_default()?;
        Ok(answer.settings)
    }
}
