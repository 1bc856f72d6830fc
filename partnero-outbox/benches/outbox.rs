//! Load generator for the outbox (`cargo bench -p partnero-outbox --all-features --bench outbox`).
//!
//! Prints one markdown table (BENCHMARKS.md keeps a run):
//! * enqueue inside a handler-like transaction (a user row + the event, 8 concurrent) against
//!   the floor of the same transaction with a bare insert of the same row into a plain table,
//!   on SQLite (`synchronous=FULL`) and PostgreSQL (skipped when no server answers);
//! * dispatch end to end against the local sandbox at concurrency 8 (events/s);
//! * a 30 s outage staged at issue #9's arrival rate: how fast its backlog drains after it.
//!
//! Ratios within one run are what to compare; absolute numbers move with the machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use partnero_client::{NewCustomer, Partnero, Sale};
use partnero_core::ReferralContext;
use partnero_outbox::{Event, Outbox};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use sqlx::{Executor, Pool};

const TXNS: usize = 2000;
const CONCURRENCY: usize = 8;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("| measurement | result |\n|---|---|");
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    let sqlite = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options.clone())
        .await
        .unwrap();
    let outbox = Outbox::sqlite_pool(sqlite.clone()).await.unwrap();
    enqueue_rows("SQLite FULL", &sqlite, &outbox, "BEGIN IMMEDIATE", "?").await;
    // The same handlers on a pool of one connection: writers wait in the pool's queue, woken
    // at each commit, instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10, ... 100 ms
    // between looks at the lock.
    let writer = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .unwrap();
    let one = Outbox::sqlite_pool(writer.clone()).await.unwrap();
    writer.execute("DELETE FROM partnero_outbox").await.unwrap();
    enqueue_rows(
        "SQLite FULL, one writer connection",
        &writer,
        &one,
        "BEGIN IMMEDIATE",
        "?",
    )
    .await;

    let pg_url = std::env::var("PARTNERO_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match sqlx::PgPool::connect(&pg_url).await {
        Ok(admin) => {
            let schema = format!("outbox_bench_{:08x}", fastrand::u32(..));
            admin
                .execute(format!("CREATE SCHEMA {schema}").as_str())
                .await
                .unwrap();
            let options: sqlx::postgres::PgConnectOptions = pg_url.parse().unwrap();
            let pg = sqlx::postgres::PgPoolOptions::new()
                .max_connections(10)
                .connect_with(options.options([("search_path", schema.as_str())]))
                .await
                .unwrap();
            let pg_outbox = Outbox::postgres(pg.clone()).await.unwrap();
            enqueue_rows("PostgreSQL", &pg, &pg_outbox, "BEGIN", "$").await;
            // The same without the LISTEN/NOTIFY trigger (dispatchers poll): what the
            // wake-up costs a committing handler.
            let polling = Outbox::postgres_polling(pg.clone()).await.unwrap();
            pg.execute("DELETE FROM partnero_outbox").await.unwrap();
            enqueue_rows("PostgreSQL, no notify trigger", &pg, &polling, "BEGIN", "$").await;
            admin
                .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                .await
                .unwrap();
        }
        Err(e) => println!("| PostgreSQL | skipped: {e} |"),
    }

    dispatch(dir.path()).await;
    outage_drain(dir.path()).await;
    memory_in_an_outage(dir.path()).await;
}

/// A sandbox with its demo partner, and a client of its affiliate program.
async fn sandbox() -> (Sandbox, Partnero) {
    let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true))
        .await
        .unwrap();
    let key = sandbox.key_for(ProgramKind::Affiliate).unwrap();
    let client = Partnero::builder(key.as_str())
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    (sandbox, client)
}

/// Resident memory of this process in KiB (Linux), `None` elsewhere.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Partnero refuses connections while 30,000 events arrive and the dispatcher keeps trying:
/// the backlog lives in the database, so the process's memory stays flat.
async fn memory_in_an_outage(dir: &std::path::Path) {
    let (sandbox, client) = sandbox().await;
    sandbox.faults().refuse_connections(true);
    let outbox = Outbox::sqlite(dir.join("outage.db").to_str().unwrap())
        .await
        .unwrap();
    let dispatcher = outbox
        .dispatcher(client)
        .concurrency(8)
        .poll_interval(Duration::from_millis(20))
        .backoff(Duration::from_millis(10), Duration::from_millis(200))
        .spawn()
        .unwrap();
    // Referred visitors: an unreferred affiliate sign-up needs no call and would be
    // "delivered" without Partnero.
    let ctx = ReferralContext::new().with_partner(
        partnero_core::ReferralKey::parse("demo-partner").unwrap(),
        partnero_core::KeySource::Cookie,
    );
    let mut samples = Vec::new();
    let batches = 3;
    for batch in 0..batches {
        let mut tx = outbox.pool().begin().await.unwrap();
        for i in 0..10_000 {
            let customer = format!("m-{batch}-{i}");
            let event = Event::signup(&ctx, NewCustomer::new(&customer));
            outbox.enqueue(&mut tx, &event).await.unwrap();
        }
        tx.commit().await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await; // the dispatcher churns on it
        samples.push(rss_kib());
    }
    let stats = outbox.stats().await.unwrap();
    dispatcher.shutdown(Duration::from_secs(5)).await;
    let shown: Vec<String> = samples
        .iter()
        .map(|s| s.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)))
        .collect();
    println!(
        "| memory during an outage, RSS after 10k / 20k / 30k waiting events ({} waiting at the end) | {} |",
        stats.waiting(),
        shown.join(" / ")
    );
}

/// Handler-like transactions, `CONCURRENCY` at a time: the floor (a user row + a bare insert
/// of the event's row into a plain table) against the real thing (a user row + enqueue).
async fn enqueue_rows<DB: partnero_outbox::Backend>(
    name: &str,
    pool: &Pool<DB>,
    outbox: &Outbox<DB>,
    begin: &'static str,
    placeholder: &str,
) where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let p = |n: usize| {
        if placeholder == "?" {
            "?".to_owned()
        } else {
            format!("${n}")
        }
    };
    for table in ["bench_users", "bench_bare"] {
        let _ = pool
            .execute(format!("DROP TABLE IF EXISTS {table}").as_str())
            .await;
    }
    pool.execute("CREATE TABLE bench_users (id TEXT PRIMARY KEY, email TEXT NOT NULL)")
        .await
        .unwrap();
    pool.execute(
        "CREATE TABLE bench_bare (idem_key TEXT PRIMARY KEY, kind TEXT NOT NULL, order_key TEXT NOT NULL, payload TEXT NOT NULL)",
    )
    .await
    .unwrap();
    let user_sql = Arc::new(format!(
        "INSERT INTO bench_users (id, email) VALUES ({}, {})",
        p(1),
        p(2)
    ));
    let bare_sql = Arc::new(format!(
        "INSERT INTO bench_bare (idem_key, kind, order_key, payload) VALUES ({}, 'signup', {}, {})",
        p(1),
        p(2),
        p(3)
    ));
    let ctx = ReferralContext::new();
    let payload = serde_json::to_string(&NewCustomer::new("x").email("x@example.com")).unwrap();

    for round in ["floor (bare insert)", "enqueue"] {
        let start = Instant::now();
        let mut latencies = Vec::with_capacity(TXNS);
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..CONCURRENCY {
            let pool = pool.clone();
            let outbox = outbox.clone();
            let user_sql = Arc::clone(&user_sql);
            let bare_sql = Arc::clone(&bare_sql);
            let payload = payload.clone();
            let ctx = ctx.clone();
            let round = round.to_owned();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                for i in (worker..TXNS).step_by(CONCURRENCY) {
                    let id = format!("{round}-{i}");
                    let t = Instant::now();
                    let mut conn = pool.acquire().await.unwrap();
                    (&mut *conn).execute(begin).await.unwrap();
                    sqlx::query(&user_sql)
                        .bind(id.clone())
                        .bind(format!("{id}@example.com"))
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    if round == "enqueue" {
                        let event =
                            Event::signup(&ctx, NewCustomer::new(&id).email("x@example.com"));
                        outbox.enqueue(&mut *conn, &event).await.unwrap();
                    } else {
                        sqlx::query(&bare_sql)
                            .bind(format!("signup:{id}"))
                            .bind(id.clone())
                            .bind(payload.clone())
                            .execute(&mut *conn)
                            .await
                            .unwrap();
                    }
                    (&mut *conn).execute("COMMIT").await.unwrap();
                    mine.push(t.elapsed());
                }
                mine
            });
        }
        while let Some(done) = tasks.join_next().await {
            latencies.extend(done.unwrap());
        }
        let secs = start.elapsed().as_secs_f64();
        latencies.sort();
        let p99 = latencies[latencies.len() * 99 / 100];
        println!(
            "| {name}: user row + {round}, {CONCURRENCY} concurrent | {:.0} txn/s, p99 {:.2} ms |",
            TXNS as f64 / secs,
            p99.as_secs_f64() * 1000.0
        );
    }
}

/// A backlog of sign-ups and sales (what a 30 s outage leaves), then the dispatcher drains it
/// against the sandbox at concurrency 8.
async fn dispatch(dir: &std::path::Path) {
    let (_sandbox, client) = sandbox().await;
    let outbox = Outbox::sqlite(dir.join("dispatch.db").to_str().unwrap())
        .await
        .unwrap();
    let ctx = ReferralContext::new().with_partner(
        partnero_core::ReferralKey::parse("demo-partner").unwrap(),
        partnero_core::KeySource::Cookie,
    );
    let customers = 1000;
    let arrival = Instant::now();
    for c in 0..customers {
        let customer = format!("d-{c}");
        outbox
            .enqueue_now(&Event::signup(&ctx, NewCustomer::new(&customer)))
            .await
            .unwrap();
        for s in 0..2 {
            let sale = Sale::new(Decimal::new(1999, 2)).key(format!("{customer}-{s}"));
            outbox
                .enqueue_now(&Event::sale(&customer, sale))
                .await
                .unwrap();
        }
    }
    let events = customers * 3;
    let enqueue_rate = events as f64 / arrival.elapsed().as_secs_f64();
    let start = Instant::now();
    let dispatcher = outbox
        .dispatcher(client)
        .concurrency(8)
        .poll_interval(Duration::from_millis(20))
        .spawn()
        .unwrap();
    loop {
        let stats = outbox.stats().await.unwrap();
        if stats.in_state("delivered") as usize == events {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = start.elapsed().as_secs_f64();
    dispatcher.shutdown(Duration::from_secs(5)).await;
    let rate = events as f64 / secs;
    println!(
        "| dispatch end to end, SQLite FULL, sandbox on 127.0.0.1, concurrency 8 ({events} events) | {rate:.0} events/s |"
    );
    println!("| enqueue_now, one writer, no app transaction | {enqueue_rate:.0} events/s |");
}

/// The outage run of issue #9, staged: Partnero refuses connections for 30 s while visitors
/// arrive at its rate (~38 events/s: each a sign-up, two sales and a refund), with the
/// dispatcher's default settings; then the time until the backlog is delivered. The ratio is
/// the drain rate over the arrival rate.
async fn outage_drain(dir: &std::path::Path) {
    let (sandbox, client) = sandbox().await;
    let outbox = Outbox::sqlite(dir.join("outage-drain.db").to_str().unwrap())
        .await
        .unwrap();
    let dispatcher = outbox.dispatcher(client).spawn().unwrap();
    let ctx = ReferralContext::new().with_partner(
        partnero_core::ReferralKey::parse("demo-partner").unwrap(),
        partnero_core::KeySource::Cookie,
    );
    let outage = Duration::from_secs(30);
    sandbox.faults().refuse_connections(true);
    let arrival = Instant::now();
    let mut events = 0u64;
    let mut customer = 0;
    while arrival.elapsed() < outage {
        let key = format!("o-{customer}");
        let mut tx = outbox.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        for event in [
            Event::signup(&ctx, NewCustomer::new(&key)),
            Event::sale(
                &key,
                Sale::new(Decimal::new(1999, 2)).key(format!("{key}-a")),
            ),
            Event::sale(
                &key,
                Sale::new(Decimal::new(999, 2)).key(format!("{key}-b")),
            ),
            Event::refund(format!("{key}-a")),
        ] {
            outbox.enqueue(&mut tx, &event).await.unwrap();
            events += 1;
        }
        tx.commit().await.unwrap();
        customer += 1;
        tokio::time::sleep(Duration::from_millis(105)).await;
    }
    let arrival_secs = arrival.elapsed().as_secs_f64();
    sandbox.faults().refuse_connections(false);
    let back = Instant::now();
    loop {
        if outbox.stats().await.unwrap().in_state("delivered") == events {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain_secs = back.elapsed().as_secs_f64();
    dispatcher.shutdown(Duration::from_secs(5)).await;
    println!(
        "| 30 s outage, default dispatcher: {events} events arrived at {:.0}/s, drained in {drain_secs:.1} s | {:.0}x the arrival rate |",
        events as f64 / arrival_secs,
        arrival_secs / drain_secs
    );
}
