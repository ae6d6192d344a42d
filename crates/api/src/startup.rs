//! Builds the application: pool, migrations, listener, routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::Db;
use crate::limits::Limits;
use crate::live::{
    self,
    hub::Hub,
    presence::{PresenceTracker, Timing},
};
use crate::mail::MailContext;
use crate::mail::transport::Transport;
use crate::mail::worker::MailWorker;
use crate::routes;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    mail_worker: MailWorker,
    checkpoints: Option<crate::db::Checkpoints>,
}

impl Application {
    /// Connects to the database, applies migrations and binds `config.bind_addr`
    /// (port 0 picks a free port, as the tests do).
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        config.ensure_dev_secret()?;
        let db = Db::new(config.database.clone());
        let migrate_db = db.clone();
        let applied = crate::telemetry::blocking(move || migrate_db.migrate_blocking())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))??;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let listener = TcpListener::bind(config.bind_addr)
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        let port = listener.local_addr()?.port();
        let load_db = db.clone();
        let online = crate::telemetry::blocking(move || {
            crate::db::models::doctors::load_online_blocking(&load_db)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))??;
        let hub = Arc::new(Hub::new(online));
        // Sessions revoked recently (password changes, deactivations): their
        // unexpired access tokens stay refused across a restart.
        let (revoked_db, revoked_hub) = (db.clone(), hub.clone());
        crate::telemetry::blocking(move || {
            live::bridge::load_revocations(&revoked_db, &revoked_hub)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))??;
        live::bridge::spawn_listener(&db, &hub);
        let timing = Timing {
            grace: config.presence_grace,
            refresh: config.ws_heartbeat,
        };
        let presence = PresenceTracker::start(
            db.clone(),
            hub.clone(),
            timing,
            MailContext::from_config(&config),
        );
        let transport = match &config.smtp_url {
            Some(url) => Transport::smtp(url.expose())?,
            None => Transport::files(config.data_dir.join("mail"))?,
        };
        let mail_ctx = MailContext::from_config(&config);
        let config_for_limits = config.clone();
        let (mail, mail_worker) = MailWorker::start(db.clone(), transport, mail_ctx.clone());
        let checkpoints = db.start_checkpoints();
        let metrics = crate::metrics::Metrics::new();
        hub.counters.register(metrics.registry())?;
        mail.register(metrics.registry())?;
        metrics
            .registry()
            .register(Box::new(db.call_seconds.clone()))?;
        let state = AppState {
            metrics: Arc::new(metrics),
            jwt: JwtKeys::new(config.jwt_secret.expose()),
            db,
            config: Arc::new(config),
            hub,
            presence,
            mail,
            mail_ctx,
            limits: Arc::new(Limits::new(&config_for_limits)),
        };
        crate::appointments::start_waitlist_sweeper(
            state.db.clone(),
            &state.hub,
            state.mail_ctx.clone(),
            state.mail.clone(),
        );
        let server = serve(listener, state.clone())?;
        tracing::info!(
            address = %format!("http://{}:{port}", state.config.bind_addr.ip()),
            database = %state.db.target().display(),
            "MediConnect is listening"
        );
        Ok(Self {
            port,
            server,
            state,
            mail_worker,
            checkpoints,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Runs until the server stops (SIGINT/SIGTERM, gracefully: requests in flight
    /// finish), then lets the mail worker finish the sends in progress.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        drop(self.checkpoints);
        self.mail_worker
            .shutdown(std::time::Duration::from_secs(10))
            .await;
        result
    }

    /// Runs until SIGTERM or SIGINT, then stops gracefully: no new connections, requests
    /// in flight finish, sockets are closed with 1001 (going away), the mail worker
    /// finishes its sends; all within 10 seconds.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let hub = self.state.hub.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("stopping: finishing requests, closing sockets, flushing mail");
            hub.shut_down();
            handle.stop(true).await;
        });
        self.run_until_stopped().await
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

fn cors(origins: &[String]) -> Cors {
    // Same-origin needs no CORS at all; the allow-list only opens the API to the
    // listed origins. No wildcard is ever sent.
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers(["authorization", "content-type", "idempotency-key"])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state.clone());
    let limits = web::Data::from(state.limits.clone());
    let jwt = web::Data::new(state.jwt.clone());
    let hub = web::Data::from(state.hub.clone());
    let metrics = web::Data::from(state.metrics.clone());
    let static_dir = state.config.static_dir.clone();
    routes::spa::check(&static_dir);
    let spa_headers = web::Data::new(routes::spa::SpaHeaders::new(
        &static_dir,
        state.config.public_url.as_deref(),
    ));
    let origins = state.config.cors_origins.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            // The middleware and extractors that need only a part take only that part.
            .app_data(limits.clone())
            .app_data(jwt.clone())
            .app_data(hub.clone())
            .app_data(metrics.clone())
            .app_data(spa_headers.clone())
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer")),
            )
            .wrap(cors(&origins))
            .wrap(Compress::default())
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .wrap(from_fn(routes::spa::headers))
            .wrap(from_fn(crate::limits::api_limit))
            .wrap(from_fn(crate::telemetry::observe))
            .configure(routes::docs::routes)
            .configure(routes::metrics::routes)
            .configure(routes::api)
            .configure(|cfg| routes::spa::routes(cfg, &static_dir))
    })
    .shutdown_timeout(8)
    // A finished response whose request was not read to its end (a WebSocket, once its
    // Close is sent; a body refused unread) ends the connection at once, instead of
    // waiting up to a second for the client to close first (ADR 0019).
    .client_disconnect_timeout(std::time::Duration::ZERO)
    // Small writes go out at once: a snapshot's fragments (ADR 0015), and any response
    // written in two parts, would otherwise wait for the client's delayed ACK.
    .tcp_nodelay(true)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
