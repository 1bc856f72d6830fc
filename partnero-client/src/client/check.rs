//! [`Partnero::check`]: the start-up check of the key, the base URL and the program, with
//! `GET /test`, and learning the program from it.

use std::error::Error as _;

use super::Partnero;
use super::program::Program;
use crate::Error;
use crate::model::KeyCheck;

impl Partnero {
    /// Verifies the set-up with `GET /test`: the base URL answers like Partnero's API, the API
    /// key is accepted, and the program it belongs to is the one this client works for. Call
    /// it once at start-up; on failure the error ([`Error::Config`]) says in one line what is
    /// wrong and which setting to fix.
    ///
    /// When the program was not set ([`PartneroBuilder::program`](crate::PartneroBuilder::program),
    /// `PARTNERO_PROGRAM`), the client adopts the program Partnero names.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), partnero_client::Error> {
    /// let client = partnero_client::Partnero::from_env()?;
    /// client.check().await?; // e.g. "... rejected the API key (401): check PARTNERO_API_KEY"
    /// # Ok(()) }
    /// ```
    pub async fn check(&self) -> Result<KeyCheck, Error> {
        let check = self
            .check_key()
            .await
            .map_err(|e| Error::Config(self.explain_failed_check(&e)))?;
        if let Some(named) = program_of(&check) {
            let current = self.program();
            if self.inner.program.is_set() && named != current {
                return Err(Error::Config(format!(
                    "the API key belongs to a {named} program but the client is set to {current}: \
                     set PARTNERO_PROGRAM={named} (or PartneroBuilder::program)"
                )));
            }
            self.inner.program.learn(named);
        }
        Ok(check)
    }

    /// The program in effect, learned from `GET /test` when it was neither set nor learned
    /// yet. When Partnero answers (2xx) without naming a known program, the default stays in
    /// effect and it is not asked again. Any failure (an outage, a proxy's 52x, a 404, a
    /// refused key) is returned and never remembered: the next call asks again. A remembered
    /// guess would lose every refer-a-friend customer for the life of the process.
    pub(crate) async fn learn_program(&self) -> Result<Program, Error> {
        let setting = &self.inner.program;
        if setting.is_known() || setting.is_unanswerable() {
            return Ok(self.program());
        }
        let named = program_of(&self.check_key().await?);
        match named {
            Some(program) => setting.learn(program),
            None => setting.give_up(),
        }
        Ok(self.program())
    }

    /// One line: what `GET /test` failing says about the set-up.
    fn explain_failed_check(&self, e: &Error) -> String {
        let base = self.base_url();
        match e {
            Error::Unauthorized => {
                format!("Partnero at {base} rejected the API key (401): check PARTNERO_API_KEY")
            }
            Error::Api { status: 403, .. } => format!(
                "Partnero at {base} refused the API key (403): check PARTNERO_API_KEY and the program's API access"
            ),
            Error::Connect(source) => format!(
                "cannot connect to {base} ({}): check PARTNERO_BASE_URL and the network",
                source
                    .source()
                    .map_or_else(|| source.to_string(), ToString::to_string)
            ),
            Error::Timeout => format!(
                "{base} did not answer GET test in time: check PARTNERO_BASE_URL and the network"
            ),
            Error::NotFound { .. } | Error::Decode { .. } => format!(
                "{base} does not answer like the Partnero API (GET test: {e}): check PARTNERO_BASE_URL \
                 (the API is {})",
                super::builder::DEFAULT_BASE_URL
            ),
            other => format!("GET {base}test failed: {other}"),
        }
    }
}

/// The program `GET /test` names (`affiliate`, `refer_a_friend`, ...), when it is one this
/// client knows.
fn program_of(check: &KeyCheck) -> Option<Program> {
    check.program.as_ref()?.kind.as_deref()?.parse().ok()
}
