//! A fresh PostgreSQL schema for one test: `PARTNERO_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), a new schema in it, and a `postgres://` URL whose
//! connections use only that schema, so an outbox table (and a shop's tables) collide with
//! nothing. Dropped with [`ScratchSchema::drop`]. One file for every PostgreSQL test: the
//! outbox's own (unit and integration, by `#[path]`) and the example shops' (`scratch_db`).
//!
//! No server: [`ScratchSchema::create`] prints a loud `SKIPPED` line and returns `None`, unless
//! `PARTNERO_REQUIRE_POSTGRES=1`, where it is an error.

// Public for the example shops, which re-export it; private where the outbox's tests include it.
#![allow(unreachable_pub)]

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

/// The server the PostgreSQL tests use unless `PARTNERO_TEST_DATABASE_URL` names another.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A schema created for one test; [`url`](Self::url) reaches it.
#[derive(Debug)]
pub struct ScratchSchema {
    /// A `postgres://` URL whose connections see only this schema (`search_path`).
    pub url: String,
    /// The schema's name.
    pub schema: String,
    admin: PgPool,
}

impl ScratchSchema {
    /// Creates a schema `<prefix>_<random>` on the test server. `Ok(None)` (after a `SKIPPED`
    /// line naming `what` on stderr) when no server answers and PostgreSQL is not required;
    /// an error when it is (`PARTNERO_REQUIRE_POSTGRES=1`) or the schema cannot be made.
    pub async fn create(prefix: &str, what: &str) -> Result<Option<ScratchSchema>, String> {
        let base = std::env::var("PARTNERO_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.to_owned());
        let required = std::env::var("PARTNERO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&base)
            .await
        {
            Ok(pool) => pool,
            Err(err) if !required => {
                eprintln!(
                    "SKIPPED: {what}: no PostgreSQL server at PARTNERO_TEST_DATABASE_URL ({err}); set PARTNERO_REQUIRE_POSTGRES=1 to fail instead"
                );
                return Ok(None);
            }
            Err(err) => {
                return Err(format!(
                    "PARTNERO_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {err}"
                ));
            }
        };
        let schema = format!("{prefix}_{:016x}", fastrand::u64(..));
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .map_err(|e| format!("cannot create the schema {schema}: {e}"))?;
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options%5Bsearch_path%5D={schema}");
        Ok(Some(ScratchSchema { url, schema, admin }))
    }

    /// Drops the schema and everything in it (reported, not fatal, when it fails).
    pub async fn drop(self) {
        let dropped = sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))
            .execute(&self.admin)
            .await;
        if let Err(err) = dropped {
            eprintln!("cannot drop the test schema {}: {err}", self.schema);
        }
        self.admin.close().await;
    }
}
