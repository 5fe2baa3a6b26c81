//! `shale-server`: serves a Shale database over the binary key-value protocol
//! (`docs/protocol.md`; default `127.0.0.1:7070`) and the DynamoDB-compatible HTTP gateway
//! (`docs/dynamodb.md`; default `127.0.0.1:8000`).
//!
//! ```text
//! shale-server [--data-dir ./shale-data | --in-memory] [--kv-addr 127.0.0.1:7070]
//!              [--dynamodb-addr 127.0.0.1:8000] [--config FILE]
//! ```
//!
//! SIGINT or SIGTERM shuts it down gracefully: it stops accepting, answers every request it has
//! read, fsyncs the WAL and closes the database.

use clap::Parser;
use shale_aws::sigv4::verify::VerifierOptions;
use shale_engine::fs::MemFs;
use shale_engine::{Db, Options};
use shale_server::config::FileConfig;
use shale_server::dynamodb::capacity::throttle::Enforcement;
use shale_server::dynamodb::ops::{Gateway, GatewayOptions};
use shale_server::http::cors::Cors;
use shale_server::http::{self as aws_http, Auth, Services};
use shale_server::iam::caller::Authenticator;
use shale_server::iam::seal::Sealer;
use shale_server::iam::service::Iam;
use shale_server::iam::store::root::{
    RootCredentials, Source as RootSource, ROOT_CREDENTIALS_FILE,
};
use shale_server::iam::store::{Account, Store};
use shale_server::kv::handlers::Handler;
use shale_server::kv::server::{self, Limits};
use shale_server::startup::{self, ListenAddr};
use shale_server::sts::Sts;
use shale_server::tls::Tls;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Default bound on one SCAN page.
const SCAN_LIMIT_MAX_DEFAULT: u32 = 10_000;

#[derive(Parser, Debug)]
#[command(name = "shale-server", version, about = "Serves a Shale database over the network")]
struct Cli {
    /// The database directory (created if missing). Default: ./shale-data.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Keep everything in memory (the engine over its in-memory file system): nothing is written
    /// to disk and everything is gone when the server stops.
    #[arg(long)]
    in_memory: bool,
    /// Address of the key-value protocol. Default: 127.0.0.1:7070.
    #[arg(long)]
    kv_addr: Option<String>,
    /// Address of the DynamoDB-compatible gateway. Default: 127.0.0.1:8000.
    #[arg(long)]
    dynamodb_addr: Option<String>,
    /// Whether the gateway acknowledges a write only once it is fsynced (group commit).
    /// Default: true. With false, writes reach the WAL before the answer but are fsynced only
    /// by the WAL sync interval (or a later synced write): a power failure may lose them.
    #[arg(long)]
    dynamodb_sync: Option<bool>,
    /// Pace of the backfill of a global secondary index added to a live table by UpdateTable,
    /// in items a second (0: unpaced). Default: 20000.
    #[arg(long)]
    dynamodb_backfill_items_per_sec: Option<u64>,
    /// How often, in seconds, each DynamoDB stream closes its shards and opens their children
    /// (DynamoDB rolls shards over about every 4 hours). Default: 14400.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    stream_shard_rollover: Option<u64>,
    /// How often, in seconds, the TTL expirer looks for expired items (DynamoDB takes up to
    /// days; the default shows expiry within seconds). Default: 10.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    ttl_scan_interval: Option<u64>,
    /// How long, in seconds, a stream's records stay readable (trimmed a generation of shards
    /// at a time after that), and a disabled stream with them. Default: 86400 (DynamoDB's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    stream_retention: Option<u64>,
    /// How soon, in seconds, a table's Time to Live setting may change again (DynamoDB: an
    /// hour). Default: 3600.
    #[arg(long)]
    ttl_change_cooldown: Option<u64>,
    /// Whether DynamoDB tables' capacity is enforced: enforce (requests past a provisioned
    /// table's or index's capacity, or an on-demand table's maximum, are throttled) or report
    /// (nothing is throttled; consumption is still counted and reported) or off (nothing is
    /// throttled nor counted). Default: enforce.
    #[arg(long)]
    capacity: Option<String>,
    /// Whether DynamoDB requests are counted in the CloudWatch metrics and Prometheus' page,
    /// and a sample of every request's latency breakdown kept for the page. Default: true.
    #[arg(long)]
    metrics: Option<bool>,
    /// Decreases of a table's (or global index's) provisioned throughput allowed any time in
    /// a UTC day; after them, one an hour. Default: 4 (DynamoDB's).
    #[arg(long)]
    throughput_decreases_per_day: Option<i64>,
    /// Also serve the Prometheus page (`GET /metrics`, served on the gateway's port in any
    /// case) on this address. Default: none.
    #[arg(long)]
    metrics_addr: Option<String>,
    /// How often, in seconds, CloudWatch alarms are evaluated. Default: 60 (CloudWatch's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    alarm_evaluation_interval: Option<u64>,
    /// URL prefixes (http://host:port/path) that alarm actions may POST their notifications
    /// to; comma-separated or repeated. Default: none (an alarm with actions is refused).
    #[arg(long)]
    alarm_webhook_allow: Option<Vec<String>>,
    /// The folder whose subfolders are the S3 buckets of ExportTableToPointInTime and
    /// ImportTable (bucket `b` is `<DIR>/b`, which must exist). Default: `<data-dir>/exports`;
    /// none with --in-memory (exports and imports are then refused).
    #[arg(long, value_name = "DIR")]
    export_root: Option<PathBuf>,
    /// The web origins (scheme://host[:port]) whose pages a browser lets call the HTTP front
    /// door (CORS), comma-separated; `*` for any, `none` for none. Default: `*` with --auth
    /// sigv4 (as DynamoDB: every request is signed anyway), none with --auth none.
    #[arg(long)]
    cors_origins: Option<Vec<String>>,
    /// Whether the web console is served at /console/ on the gateway's port (its pages call
    /// the public APIs with SigV4-signed requests; see docs/console.md). Default: true.
    #[arg(long)]
    console: Option<bool>,
    /// Largest DynamoDB request body, in bytes (a gzip body's, once decompressed). Default:
    /// 16 MiB.
    #[arg(long)]
    dynamodb_body_bytes_max: Option<usize>,
    /// How requests are authenticated: sigv4 (default: every request's SigV4 signature is
    /// verified against the root credentials and IAM's keys, and IAM policies are enforced)
    /// or none (any credentials are accepted and everything is allowed, as DynamoDB Local does).
    #[arg(long)]
    auth: Option<String>,
    /// The root access key id (or SHALE_ROOT_ACCESS_KEY_ID). Default: generated on first start
    /// into <data-dir>/root-credentials.
    #[arg(long, env = "SHALE_ROOT_ACCESS_KEY_ID")]
    root_access_key_id: Option<String>,
    /// The root secret access key (or SHALE_ROOT_SECRET_ACCESS_KEY).
    #[arg(long, env = "SHALE_ROOT_SECRET_ACCESS_KEY", hide_env_values = true)]
    root_secret_access_key: Option<String>,
    /// How far a signed request's date may be from the server's clock, in seconds. Default: 900.
    #[arg(long)]
    auth_clock_skew_secs: Option<u64>,
    /// The region requests must be signed for, and that ARNs name. Default: us-east-1.
    #[arg(long)]
    region: Option<String>,
    /// A PEM certificate chain: both front doors serve TLS with it (and plain connections
    /// from loopback only). Needs --tls-key.
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// A TOML file with engine options and limits; flags win over it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Largest frame accepted or sent, in bytes.
    #[arg(long)]
    frame_len_max: Option<u32>,
    /// Most connections served at once.
    #[arg(long)]
    connections_max: Option<usize>,
    /// Most requests of one connection worked on at once.
    #[arg(long)]
    inflight_max: Option<usize>,
    /// Seconds a key-value protocol connection may stay idle (or stall inside a frame) before it
    /// is closed. (The HTTP front door's is `idle_timeout_secs` in `[http]` of `--config`.)
    #[arg(long)]
    idle_timeout_secs: Option<u64>,
    /// Milliseconds between background WAL fsyncs (0: only writes that ask are fsynced).
    #[arg(long)]
    wal_sync_interval_ms: Option<u64>,
    /// Block cache size in bytes.
    #[arg(long)]
    block_cache_bytes: Option<usize>,
    /// How file data is read and written: auto (default: io_uring where it works, else pread),
    /// pread, uring (io_uring; fails where it is not available) or uring-all (single reads and
    /// buffered writes on the ring too, for measuring: slower).
    #[arg(long)]
    io_backend: Option<String>,
    /// Read tables and write flush and compaction output with O_DIRECT, so the block cache is
    /// the only cache.
    #[arg(long)]
    direct_io: bool,
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once, on stderr, whatever the log filter (not through the log as well).
            eprintln!("shale-server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    // 1. Every setting, from the flags and the file, checked before anything is made.
    let file = match &cli.config {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    let mut engine = file.engine.clone();
    if cli.wal_sync_interval_ms.is_some() {
        engine.wal_sync_interval_ms = cli.wal_sync_interval_ms;
    }
    if cli.block_cache_bytes.is_some() {
        engine.block_cache_bytes = cli.block_cache_bytes;
    }
    if cli.io_backend.is_some() {
        engine.io_backend = cli.io_backend.clone();
    }
    if cli.direct_io {
        engine.direct_io = Some(true);
    }
    let mut options = Options::default();
    engine.apply(&mut options)?;
    // The WAL archive point-in-time recovery restores from: dormant (keeping nothing) until a
    // table enables recovery (`docs/backup.md`).
    options.wal_archive = Some(shale_engine::WalArchiveOptions {
        retention: std::time::Duration::ZERO,
        ..shale_engine::WalArchiveOptions::default()
    });
    let in_memory = cli.in_memory || file.in_memory.unwrap_or(false);
    let data_dir = cli.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from("./shale-data"));

    let mut limits = Limits::default();
    let scan_limit_max = file.kv.apply(&mut limits).unwrap_or(SCAN_LIMIT_MAX_DEFAULT);
    if let Some(v) = cli.frame_len_max {
        limits.frame_len_max = v;
    }
    if let Some(v) = cli.connections_max {
        limits.connections_max = v;
    }
    if let Some(v) = cli.inflight_max {
        limits.inflight_max = v;
    }
    if let Some(v) = cli.idle_timeout_secs {
        limits.idle_timeout = Duration::from_secs(v);
    }
    let config = cli.config.as_deref();
    let kv_addr = ListenAddr::pick(
        "--kv-addr",
        cli.kv_addr,
        "kv_addr",
        file.kv_addr,
        config,
        "127.0.0.1:7070",
    );
    let dynamodb_addr = ListenAddr::pick(
        "--dynamodb-addr",
        cli.dynamodb_addr,
        "dynamodb_addr",
        file.dynamodb_addr,
        config,
        "127.0.0.1:8000",
    );
    let metrics_addr = match (cli.metrics_addr, file.metrics_addr) {
        (None, None) => None,
        (given, from_file) => {
            Some(ListenAddr::pick("--metrics-addr", given, "metrics_addr", from_file, config, ""))
        }
    };
    let console = cli.console.or(file.console).unwrap_or(true);
    let region = cli.region.or(file.region).unwrap_or_else(|| "us-east-1".to_string());
    let account = Account { region: region.clone(), ..Account::default() };
    let mut gateway_opts = GatewayOptions {
        region: region.clone(),
        account: account.id.clone(),
        sync: cli.dynamodb_sync.or(file.dynamodb_sync).unwrap_or(true),
        backfill_items_per_sec: cli
            .dynamodb_backfill_items_per_sec
            .or(file.dynamodb_backfill_items_per_sec)
            .unwrap_or(shale_server::dynamodb::limits::BACKFILL_ITEMS_PER_SEC_DEFAULT),
        stream_shard_rollover: match cli.stream_shard_rollover.or(file.stream_shard_rollover) {
            Some(0) => return Err("stream_shard_rollover must be at least 1 second".into()),
            v => v,
        }
        .map(std::time::Duration::from_secs)
        .unwrap_or(shale_server::dynamodb::limits::STREAM_SHARD_ROLLOVER_DEFAULT),
        stream_retention: match cli.stream_retention.or(file.stream_retention) {
            Some(0) => return Err("stream_retention must be at least 1 second".into()),
            v => v,
        }
        .map(std::time::Duration::from_secs)
        .unwrap_or(shale_server::dynamodb::stream::registry::RETENTION_DEFAULT),
        ttl_scan_interval: match cli.ttl_scan_interval.or(file.ttl_scan_interval) {
            Some(0) => return Err("ttl_scan_interval must be at least 1 second".into()),
            v => v,
        }
        .map(std::time::Duration::from_secs)
        .unwrap_or(shale_server::dynamodb::limits::TTL_SCAN_INTERVAL_DEFAULT),
        ttl_change_cooldown: cli
            .ttl_change_cooldown
            .or(file.ttl_change_cooldown)
            .map(std::time::Duration::from_secs)
            .unwrap_or(shale_server::dynamodb::limits::TTL_CHANGE_COOLDOWN_DEFAULT),
        capacity: match cli.capacity.or(file.capacity).as_deref() {
            None | Some("enforce") => Enforcement::Enforce,
            Some("report") => Enforcement::Report,
            Some("off") => Enforcement::Off,
            Some(other) => {
                return Err(format!("--capacity must be enforce, report or off, not {other:?}"))
            }
        },
        throughput_decreases_per_day: match cli
            .throughput_decreases_per_day
            .or(file.throughput_decreases_per_day)
        {
            Some(n) if n < 0 => {
                return Err(format!("throughput_decreases_per_day must be at least 0, not {n}"))
            }
            v => v.unwrap_or(shale_server::dynamodb::limits::THROUGHPUT_DECREASES_PER_DAY),
        },
        metrics: cli.metrics.or(file.metrics).unwrap_or(true),
        ..GatewayOptions::default()
    };
    // `None`: `<data-dir>/exports`, made once the database is open.
    let export_root = match cli.export_root.or(file.export_root) {
        Some(dir) if !dir.is_dir() => {
            return Err(format!("--export-root {}: no such folder", dir.display()))
        }
        given => given,
    };
    let webhook_allow: Vec<String> = cli
        .alarm_webhook_allow
        .or(file.alarm_webhook_allow)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|s| s.split(',').map(str::trim).map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    for url in &webhook_allow {
        if !url.starts_with("http://") {
            return Err(format!("--alarm-webhook-allow takes http:// URL prefixes, not {url:?}"));
        }
    }
    let alarm_interval = match cli.alarm_evaluation_interval.or(file.alarm_evaluation_interval) {
        Some(0) => return Err("alarm_evaluation_interval must be at least 1 second".into()),
        v => Duration::from_secs(v.unwrap_or(60)),
    };
    let signed = match cli.auth.or(file.auth).as_deref() {
        None | Some("sigv4") => true,
        Some("none") => false,
        Some(other) => return Err(format!("--auth must be sigv4 or none, not {other:?}")),
    };
    let given = match (cli.root_access_key_id, cli.root_secret_access_key) {
        (Some(id), Some(secret)) => {
            // Checked now; resolved with the other sources once the database is open.
            RootCredentials::new(id.clone(), secret.clone())?;
            Some((id, secret))
        }
        (None, None) => None,
        _ => {
            return Err("give both the root access key id and the root secret access key \
                        (SHALE_ROOT_ACCESS_KEY_ID and SHALE_ROOT_SECRET_ACCESS_KEY), or neither"
                .into())
        }
    };
    let clock_skew_max =
        Duration::from_secs(cli.auth_clock_skew_secs.or(file.auth_clock_skew_secs).unwrap_or(900));
    let cors = match cli.cors_origins.or(file.cors_origins.map(|o| o.into_vec())) {
        Some(origins) => Cors::parse(&origins).map_err(|e| e.to_string())?,
        None => Cors::default_for(signed),
    };
    let (tls, tls_cert) = match (cli.tls_cert.or(file.tls_cert), cli.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => (Some(Tls::load(&cert, &key)?), Some(cert)),
        (None, None) => (None, None),
        _ => return Err("give both --tls-cert and --tls-key, or neither".into()),
    };
    let mut http_limits = file.http.limits();
    if let Some(v) = cli.dynamodb_body_bytes_max {
        http_limits.body_bytes_max = v;
    }

    // 2. Every listening socket, before the database is opened: an address in use fails here,
    // and the data directory is never touched.
    let kv_listener = startup::bind(&kv_addr).map_err(|e| e.to_string())?;
    let http_listener = startup::bind(&dynamodb_addr).map_err(|e| e.to_string())?;
    let metrics_listener =
        metrics_addr.as_ref().map(startup::bind).transpose().map_err(|e| e.to_string())?;

    // 3. The database and what lives in it.
    let durability = startup::Durability {
        in_memory,
        dynamodb_sync: gateway_opts.sync,
        wal_sync_interval: options.wal_sync_interval,
    };
    let io_backend = match (in_memory, options.direct_reads) {
        (true, _) => "none".to_string(),
        (false, direct) => {
            let name = startup::io_backend_name(options.fs.as_ref());
            if direct {
                format!("{name}, O_DIRECT")
            } else {
                name
            }
        }
    };
    tracing::debug!(
        "opening the database {}",
        if in_memory { "in memory".to_string() } else { data_dir.display().to_string() }
    );
    let db = if in_memory {
        options.fs = Arc::new(MemFs::new());
        Db::open("/shale-data", options)
    } else {
        Db::open(&data_dir, options)
    }
    .map_err(|e| format!("opening the database: {e}"))?;
    gateway_opts.export_root = match export_root {
        Some(dir) => Some(dir),
        None if in_memory => None,
        None => {
            let dir = data_dir.join("exports");
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
            Some(dir)
        }
    };
    let gateway = Arc::new(
        Gateway::open(db.clone(), gateway_opts)
            .map_err(|e| format!("opening the DynamoDB table catalog: {}", e.message()))?,
    );
    shale_server::dynamodb::expirer::start(&gateway);
    shale_server::dynamodb::transfer::worker::start(&gateway);
    let metric_store = Arc::new(
        shale_server::cloudwatch::store::MetricStore::open(&db)
            .map_err(|e| format!("opening the metric store: {e}"))?,
    );
    shale_server::dynamodb::metrics::harvest::start(&gateway, Arc::clone(&metric_store));
    let alarms = Arc::new(
        shale_server::cloudwatch::alarms::Alarms::open(&db)
            .map_err(|e| format!("opening the alarms: {e}"))?,
    );
    let cloudwatch = Arc::new(shale_server::cloudwatch::CloudWatch::new(
        Arc::clone(&metric_store),
        alarms,
        shale_server::cloudwatch::CloudWatchOptions {
            region: region.clone(),
            account: account.id.clone(),
            clock: Arc::clone(&gateway.options().clock),
            webhook_allow,
        },
    )?);
    shale_server::cloudwatch::alarms::evaluate::start(&cloudwatch, alarm_interval);
    // A sample of the requests' latency breakdowns, for the Prometheus page (kept when
    // requests are counted in the metrics).
    let traces = gateway.metrics().is_on().then(|| Arc::new(aws_http::trace::Traces::new()));
    let metrics_page: shale_server::http::service::MetricsPage = {
        let (gateway, db, traces) = (Arc::clone(&gateway), db.clone(), traces.clone());
        Arc::new(move || {
            let traces = traces.as_ref().map(|t| t.sums()).unwrap_or_default();
            shale_server::cloudwatch::prometheus::render(gateway.metrics(), &db.stats(), &traces)
        })
    };
    let store_dir = (!in_memory).then_some(data_dir.as_path());
    let sealer = match store_dir {
        Some(dir) => Sealer::open(dir)?,
        None => Sealer::ephemeral()?,
    };
    let store = Arc::new(
        Store::open(db.clone(), sealer, account.clone())
            .map_err(|e| format!("opening the IAM store: {e}"))?,
    );
    let (auth, auth_summary) = if signed {
        let (root, source) = RootCredentials::resolve(given, store_dir)?;
        let from = match source {
            RootSource::Generated => {
                // Printed once, on stderr, never through the log.
                eprintln!(
                    "shale-server: generated root credentials{}:\n  AWS_ACCESS_KEY_ID={}\n  AWS_SECRET_ACCESS_KEY={}",
                    store_dir.map_or(String::new(), |d| format!(
                        " (saved in {})",
                        d.join(ROOT_CREDENTIALS_FILE).display()
                    )),
                    root.access_key_id,
                    root.secret_access_key
                );
                "generated now, printed above".to_string()
            }
            RootSource::File => format!("from {ROOT_CREDENTIALS_FILE}"),
            RootSource::Given => "given".to_string(),
        };
        let summary =
            format!("sigv4, region {region}, root access key id {} ({from})", root.access_key_id);
        let options = VerifierOptions { clock_skew_max, ..VerifierOptions::default() };
        let authenticator = Arc::new(Authenticator::new(Arc::clone(&store), root));
        (Auth::sigv4(authenticator, region.clone(), options), summary)
    } else {
        tracing::warn!(
            "--auth none: requests are not authenticated and every caller may do everything"
        );
        let summary = "none: requests are not authenticated, every caller may do everything";
        (Auth::None { account: account.id.clone() }, summary.to_string())
    };
    // The key-value protocol authenticates as the HTTP front door does, with the same keys.
    let kv_auth = Arc::new(shale_server::kv::auth::KvAuth::of(&auth));
    let handler = Arc::new(Handler::new(db, scan_limit_max, limits.frame_len_max));

    // 4. Serve.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("shale-server")
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = TcpListener::from_std(kv_listener).map_err(|e| e.to_string())?;
        let http_listener = TcpListener::from_std(http_listener).map_err(|e| e.to_string())?;
        let metrics_listener =
            metrics_listener.map(TcpListener::from_std).transpose().map_err(|e| e.to_string())?;
        let local_addr = |l: &TcpListener| l.local_addr().map_err(|e| e.to_string());
        let summary = startup::Summary {
            version: env!("CARGO_PKG_VERSION"),
            data_dir: (!in_memory)
                .then(|| std::fs::canonicalize(&data_dir).unwrap_or_else(|_| data_dir.clone())),
            io_backend,
            durability,
            auth: auth_summary,
            tls_cert,
            cors: cors.describe(),
            dynamodb: local_addr(&http_listener)?,
            kv: local_addr(&listener)?,
            metrics: metrics_listener.as_ref().map(local_addr).transpose()?,
            console,
        };
        // DescribeEndpoints answers the address bound (the port given when it was 0).
        gateway.set_endpoint(summary.dynamodb.to_string());
        // Once; scripts and tests wait for its `listening on` lines (and read the ports).
        tracing::info!("{summary}");
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: no new connections; finishing requests in flight");
            let _ = stop_tx.send(true);
        });
        let services = Services::new()
            .with(Arc::clone(&gateway) as _)
            .with(Arc::new(shale_server::streams::Streams::new(Arc::clone(&gateway))) as _)
            .with(Arc::new(Iam::new(Arc::clone(&store))) as _)
            .with(Arc::new(Sts::new(Arc::clone(&store))) as _)
            .with(Arc::clone(&cloudwatch) as _)
            .with_metrics_page(Arc::clone(&metrics_page))
            .with_cors(cors.clone())
            .with_console(console);
        let services = match &traces {
            Some(t) => services.with_traces(Arc::clone(t)),
            None => services,
        };
        // `--metrics-addr`: the Prometheus page on a port of its own too (same credentials).
        let metrics_task = metrics_listener.map(|l| {
            let only = Services::new().with_metrics_page(Arc::clone(&metrics_page)).with_cors(cors);
            let auth = auth.clone_for_metrics();
            tokio::spawn(aws_http::serve(
                l,
                only,
                http_limits.clone(),
                auth,
                tls.clone(),
                stop_rx.clone(),
            ))
        });
        let gateway_task = tokio::spawn(aws_http::serve(
            http_listener,
            services,
            http_limits,
            auth,
            tls.clone(),
            stop_rx.clone(),
        ));
        let kv = server::serve(listener, Arc::clone(&handler), kv_auth, limits, tls, stop_rx).await;
        let _ = gateway_task.await;
        if let Some(t) = metrics_task {
            let _ = t.await;
        }
        kv.map_err(|e| e.to_string())
    })?;
    drop(runtime);
    drop(gateway);
    drop(store);
    drop(cloudwatch);
    // The last second of metrics.
    if let Err(e) = metric_store.flush() {
        tracing::warn!("flushing metrics at exit: {e}");
    }
    drop(metric_store);
    match Arc::try_unwrap(handler) {
        Ok(handler) => {
            let db = handler.into_db();
            db.sync_wal().map_err(|e| format!("syncing the WAL: {e}"))?;
            db.close().map_err(|e| format!("closing the database: {e}"))?;
            tracing::info!("database closed");
        }
        Err(handler) => {
            // The drain timed out with requests still running: make what was written durable.
            handler.db().sync_wal().map_err(|e| format!("syncing the WAL: {e}"))?;
            tracing::warn!("requests were still running at exit; the WAL is synced");
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => {
            // No signal handling: only Ctrl-C through tokio's portable handler.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
