//! The outbox against real databases (an SQLite file, a PostgreSQL server) and the sandbox
//! over real HTTP, with its faults: the failure cases of `shared/delivery.md` §6.
//!
//! PostgreSQL cases read `PARTNERO_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), each in a schema of its own, and print a loud
//! `SKIPPED` line when no server answers, unless `PARTNERO_REQUIRE_POSTGRES=1` (CI).

mod support;

mod cli;
mod outage;
mod postgres;
mod properties;
mod scratch_schema;
mod sqlite;
