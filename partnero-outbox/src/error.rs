//! [`Error`]: what can go wrong when enqueueing or operating the outbox.

/// An outbox error. Never carries the API key: the outbox does not store it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The event cannot be queued as it is (an empty key, a sale without a transaction key).
    /// Nothing was written.
    #[error("the event cannot be queued: {0}")]
    InvalidEvent(String),

    /// The database failed (locked past its busy timeout, full, read-only, gone). Nothing was
    /// written by the failed statement: roll the surrounding transaction back.
    #[error("the outbox database failed")]
    Database(#[from] sqlx::Error),

    /// Another dispatcher already delivers from this SQLite file (one per file; use
    /// PostgreSQL for several).
    #[error(
        "another dispatcher already runs on the SQLite outbox {path} (one dispatcher per file; share a PostgreSQL outbox to run several)"
    )]
    DispatcherRunning {
        /// The database file.
        path: String,
    },

    /// The lock file next to the SQLite database could not be opened.
    #[error("cannot open the dispatcher lock file {path}")]
    LockFile {
        /// The lock file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// No row has this id in a state the operation applies to (`retry` takes dead rows,
    /// `discard` dead or pending ones).
    #[error("no outbox row {id} in a state this operation applies to")]
    NoSuchRow {
        /// The row id.
        id: i64,
    },
}
