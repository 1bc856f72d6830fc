//! Command-line flags and the Partnero back end a shop talks to: the real API when
//! `PARTNERO_API_KEY` is set, otherwise an embedded `partnero-sandbox`.

use std::time::Duration;

use partnero_client::{Partnero, PartneroBuilder, Program, RetryPolicy};
use partnero_sandbox::{ProgramKind, Sandbox, SandboxConfig};

/// Which Partnero program the shop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgramChoice {
    /// Affiliate program: partners refer customers (`?aff=KEY`, cookie `partnero_partner`).
    Affiliate,
    /// Refer-a-friend program: customers refer friends (`?ref=KEY`, cookie `partnero_referral`).
    ReferAFriend,
}

impl ProgramChoice {
    /// Both programs, for the walkthrough.
    pub const ALL: [ProgramChoice; 2] = [ProgramChoice::Affiliate, ProgramChoice::ReferAFriend];

    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            ProgramChoice::Affiliate => "affiliate",
            ProgramChoice::ReferAFriend => "refer-a-friend",
        }
    }

    /// The default referral query parameter.
    pub fn query_param(self) -> &'static str {
        match self {
            ProgramChoice::Affiliate => "aff",
            ProgramChoice::ReferAFriend => "ref",
        }
    }

    /// The cookie PartneroJS and the middleware use.
    pub fn cookie_name(self) -> &'static str {
        match self {
            ProgramChoice::Affiliate => "partnero_partner",
            ProgramChoice::ReferAFriend => "partnero_referral",
        }
    }

    /// The referrer the sandbox's `--seed-demo` creates.
    pub fn demo_key(self) -> &'static str {
        match self {
            ProgramChoice::Affiliate => "demo-partner",
            ProgramChoice::ReferAFriend => "demo-referrer",
        }
    }

    /// The client's program setting.
    pub fn program(self) -> Program {
        match self {
            ProgramChoice::Affiliate => Program::Affiliate,
            ProgramChoice::ReferAFriend => Program::ReferAFriend,
        }
    }

    /// The sandbox's program kind.
    pub fn sandbox_kind(self) -> ProgramKind {
        match self {
            ProgramChoice::Affiliate => ProgramKind::Affiliate,
            ProgramChoice::ReferAFriend => ProgramKind::ReferAFriend,
        }
    }
}

/// Flags shared by both shops.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    about = "A small web shop wired to Partnero (API key and base URL from PARTNERO_API_KEY / PARTNERO_BASE_URL; an embedded sandbox when no key is set)"
)]
pub struct ShopArgs {
    /// Port to listen on (127.0.0.1); 0 picks a free one.
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Which Partnero program the API key belongs to.
    #[arg(long, value_enum, default_value = "affiliate")]
    pub program: ProgramChoice,
    /// The shop's database: its users, sessions, orders and the Partnero outbox, each event
    /// written in the same transaction as the shop's rows. A `postgres://` (or
    /// `postgresql://`) URL is PostgreSQL (the database must exist; the tables are created
    /// when missing); anything else is SQLite, an `sqlite://` URL or a file path, created when
    /// missing. Default: the SQLite file `partnero-shop-<framework>-<program>.db` in the
    /// working directory, so a restart with the same arguments finds everything (and delivers
    /// what was left).
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

impl ShopArgs {
    /// `--database`, or the default file for `framework` and `--program`.
    pub fn database(&self, framework: &str) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("partnero-shop-{framework}-{}.db", self.program.label()))
    }
}

/// The Partnero API the shop talks to.
pub struct Backend {
    /// The client (pointing at Partnero or at the embedded sandbox).
    pub client: Partnero,
    /// The embedded sandbox, when no API key was given; dropping it stops it.
    pub sandbox: Option<Sandbox>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("client", &self.client)
            .field("sandbox", &self.sandbox.as_ref().map(Sandbox::base_url))
            .finish()
    }
}

/// Why the back end could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The client could not be built (bad base URL, ...).
    #[error("cannot configure the Partnero client: {0}")]
    Client(#[from] partnero_client::Error),
    /// The embedded sandbox could not start.
    #[error("cannot start the embedded sandbox: {0}")]
    Sandbox(#[from] std::io::Error),
    /// The sandbox has no key of the program asked for.
    #[error("the sandbox has no {0} key")]
    NoKey(&'static str),
}

impl Backend {
    /// `PARTNERO_API_KEY` (+ optional `PARTNERO_BASE_URL`) when set; otherwise an embedded sandbox
    /// seeded with `demo-partner` / `demo-referrer`.
    pub async fn from_env_or_sandbox(program: ProgramChoice) -> Result<Backend, SetupError> {
        match std::env::var("PARTNERO_API_KEY") {
            Ok(key) if !key.trim().is_empty() => {
                let mut builder = for_a_shop(Partnero::builder(key.trim()), program);
                if let Ok(base) = std::env::var("PARTNERO_BASE_URL") {
                    builder = builder.base_url(&base);
                }
                Ok(Backend {
                    client: builder.build()?,
                    sandbox: None,
                })
            }
            _ => {
                let sandbox = Sandbox::start(SandboxConfig::new().seed_demo(true)).await?;
                Backend::on_sandbox(sandbox, program)
            }
        }
    }

    /// A back end on an already running sandbox, with its key for `program`.
    pub fn on_sandbox(sandbox: Sandbox, program: ProgramChoice) -> Result<Backend, SetupError> {
        let client = client_for_sandbox(&sandbox, program)?;
        Ok(Backend {
            client,
            sandbox: Some(sandbox),
        })
    }
}

/// A client pointing at `sandbox`, with its key for `program`.
pub fn client_for_sandbox(
    sandbox: &Sandbox,
    program: ProgramChoice,
) -> Result<Partnero, SetupError> {
    let key = sandbox
        .key_for(program.sandbox_kind())
        .ok_or(SetupError::NoKey(program.label()))?;
    Ok(for_a_shop(Partnero::builder(key), program)
        .base_url(sandbox.base_url())
        .build()?)
}

/// How long one Partnero request of a shop's dashboard may take.
const PARTNERO_TIMEOUT: Duration = Duration::from_secs(5);
/// No retry of a dashboard's Partnero read starts after this: the page must not stall behind a
/// slow Partnero (it shows `partnero_error` instead). Sign-ups, purchases and refunds never
/// wait on Partnero: their events go through the outbox, whose dispatcher makes single
/// attempts with its own timeout (`DeliverySettings`).
const PARTNERO_BUDGET: Duration = Duration::from_secs(10);

/// The client settings both shops use: their program, and patience bounded for a web request.
fn for_a_shop(builder: PartneroBuilder, program: ProgramChoice) -> PartneroBuilder {
    builder
        .program(program.program())
        .timeout(PARTNERO_TIMEOUT)
        .retry(RetryPolicy::default().max_elapsed(PARTNERO_BUDGET))
}

/// What a shop prints when it starts.
pub fn banner(
    framework: &str,
    shop_url: &str,
    program: ProgramChoice,
    backend: &Backend,
    database: &str,
) -> String {
    let mut out = format!(
        "{framework}-shop listening on {shop_url} ({} program)\ndatabase (users, orders, Partnero outbox): {}\n",
        program.label(),
        crate::store::redacted(database)
    );
    match &backend.sandbox {
        Some(sandbox) => {
            out.push_str(&format!(
                "embedded partnero-sandbox: {}\n",
                sandbox.base_url()
            ));
            if let Some(key) = sandbox.key_for(program.sandbox_kind()) {
                out.push_str(&format!("sandbox API key ({}): {key}\n", program.label()));
            }
        }
        None => out.push_str(&format!("Partnero API: {}\n", backend.client.base_url())),
    }
    out.push_str(&format!(
        "try a referral link: {shop_url}/?{}={}\n",
        program.query_param(),
        program.demo_key()
    ));
    out
}

/// The `axum-shop` and `actix-shop` binaries: parses [`ShopArgs`], opens the shop's database,
/// serves it with `framework` until Ctrl-C, then stops the server (its requests finish) and
/// the dispatcher (its deliveries get 5 s; what is left is delivered at the next start).
pub async fn run_shop(framework: &'static str) -> std::process::ExitCode {
    use clap::Parser as _;
    use std::process::ExitCode;

    crate::init_logging();
    let args = ShopArgs::parse();
    let backend = match Backend::from_env_or_sandbox(args.program).await {
        Ok(backend) => backend,
        Err(err) => {
            eprintln!("{framework}-shop: {err}");
            return ExitCode::FAILURE;
        }
    };
    let database = args.database(framework);
    let options = crate::shop::ShopOptions::new(database.clone());
    let client = backend.client.clone();
    let shop =
        match crate::shop::Shop::open(framework, args.program, client.clone(), &options).await {
            Ok(shop) => std::sync::Arc::new(shop),
            Err(err) => {
                let database = crate::store::redacted(&database);
                eprintln!("{framework}-shop: {database}: {err}");
                return ExitCode::FAILURE;
            }
        };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let running =
        match crate::journey::RunningShop::serve(shop.clone(), client, args.port, workers).await {
            Ok(running) => running,
            Err(err) => {
                eprintln!("{framework}-shop: {err}");
                shop.close().await;
                return ExitCode::FAILURE;
            }
        };
    // After the banner's facts are known, before it is printed: the endpoint is served already.
    if let Err(err) = shop.webhooks.register(&backend.client, running.url()).await {
        tracing::warn!(error = %err, "cannot register the Partnero webhook; webhooks are not received");
    }
    print!(
        "{}",
        banner(framework, running.url(), args.program, &backend, &database)
    );
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    ExitCode::SUCCESS
}

/// Binds `127.0.0.1:port` (0 = a free port) for a shop and returns the listener with its
/// `http://127.0.0.1:PORT` URL. The listener is non-blocking, ready for actix-web or for
/// `tokio::net::TcpListener::from_std`.
pub fn bind_local(port: u16) -> std::io::Result<(std::net::TcpListener, String)> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((listener, url))
}
