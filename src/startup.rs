//! Composition root: connect, migrate, build the schema, bind, serve.

use std::net::TcpListener;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpMessage, HttpServer, guard, web};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::auth::Authenticator;
use crate::config::Settings;
use crate::graphql::{self, GraphiqlPage};
use crate::live::Hub;
use crate::rest::admission::authenticate;
use crate::service::webhooks::Shaper;
use crate::state::AppState;
use crate::{db, health, rest};
use utoipa_swagger_ui::SwaggerUi;

/// TLS for outgoing HTTPS (webhooks, the bench client) uses ring, which sqlx's TLS
/// already builds. Installing again (several applications in one process) is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Applies pending migrations, then the data steps that follow them (keying figures
/// stored before quantity keys existed).
pub async fn prepare_database(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    db::migrate(db).await?;
    let keyed = crate::service::quantities::key_stored_figures(db).await?;
    if keyed > 0 {
        tracing::info!(keyed, "quantity claims keyed");
    }
    Ok(())
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    hub: Hub,
    door: web::Data<graphql::Door>,
}

impl Application {
    /// Connects to the database (running pending migrations when configured), builds the
    /// schema and binds the listener. Binding happens here, so the port is known before
    /// anything runs.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        install_tls_provider();
        let (connection, statements) = db::connect(&settings.database).await?;
        if settings.database.migrate_on_start {
            prepare_database(&connection).await?;
        }
        // Before anything is served: events of the first writes must not be skipped.
        crate::service::webhooks::start_cursor(&connection).await?;
        // Likewise the search index (built from the records on a first start).
        crate::service::search::index::start(&connection).await?;
        let (background, background_statements) =
            db::connect_background(&settings.database).await?;
        let key_epoch = crate::service::keys::KeyEpoch::default();
        let hub = Hub::start(
            background.clone(),
            &settings.database.url,
            &settings.live,
            key_epoch.clone(),
        )
        .await?;
        let state = AppState {
            db: connection,
            background,
            settings: std::sync::Arc::new(settings),
            statements,
            background_statements,
            key_epoch,
        };
        let listener = TcpListener::bind(&state.settings.server.bind)?;
        let port = listener.local_addr()?.port();
        let door = web::Data::new(graphql::Door::new(&state.settings.graphql)?);
        let server = serve(listener, state.clone(), hub.clone(), door.clone())?;
        Ok(Self {
            port,
            server,
            state,
            hub,
            door,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server (tests stop theirs when done).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What follows the outbox for this application's subscribers (stop it to release
    /// its connection).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The GraphQL door: its schemas, cost model and query planner.
    pub fn door(&self) -> &web::Data<graphql::Door> {
        &self.door
    }

    /// Serves until SIGTERM/SIGINT, then lets in-flight requests finish (up to the
    /// configured shutdown timeout), then stops following the outbox.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.hub.stop().await;
        served
    }
}

fn cors(settings: &crate::config::CorsSettings) -> Cors {
    // Default: no origin allowed. Each configured dashboard origin may call the API.
    settings
        .allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER])
        .max_age(3600)
}

fn serve(
    listener: TcpListener,
    state: AppState,
    hub: Hub,
    door: web::Data<graphql::Door>,
) -> anyhow::Result<Server> {
    let settings = state.settings.clone();
    let authenticator = web::Data::new(Authenticator::new(
        state.db.clone(),
        state.key_epoch.clone(),
        &settings.auth,
        &settings.rate_limit,
    )?);
    // Housekeeping: idle principals' rate-limit state, expired idempotency keys, old
    // outbox events and old delivery logs are dropped regularly, so memory and tables
    // stay bounded.
    let forgetting = authenticator.clone();
    let sweeping = state.background.clone();
    let live = settings.live.clone();
    let log_retention_days = settings.webhooks.log_retention_days;
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if db::is_closed(&sweeping) {
                return;
            }
            forgetting.forget_idle();
            if let Err(error) = crate::service::idempotency::sweep(&sweeping).await {
                tracing::warn!(%error, "sweeping expired idempotency keys failed");
            }
            if let Err(error) = crate::service::webhooks::sweep(
                &sweeping,
                chrono::Duration::hours(i64::from(live.outbox_retention_hours)),
                chrono::Duration::days(i64::from(log_retention_days)),
            )
            .await
            {
                tracing::warn!(%error, "sweeping old outbox events and deliveries failed");
            }
        }
    });
    let schema = door.schema().clone();
    let hub = web::Data::new(hub);
    // Webhook payloads are shaped by GraphQL selections; the doors and the engine only
    // know the service's `Shaper`.
    let shaper: web::Data<dyn Shaper> = web::Data::from(std::sync::Arc::new(
        crate::webhooks::GraphqlShaper::new(schema.clone(), door.costs(), state.clone()),
    ) as std::sync::Arc<dyn Shaper>);
    if settings.webhooks.enabled {
        // Payloads are read on the background pool too, so webhooks never compete with
        // requests for connections.
        let reading = AppState {
            db: state.background.clone(),
            ..state.clone()
        };
        crate::webhooks::start(
            state.background.clone(),
            std::sync::Arc::new(crate::webhooks::GraphqlShaper::new(
                schema.clone(),
                door.costs(),
                reading,
            )),
            &settings.webhooks,
            hub.advanced(),
        )?;
    }
    actix_web::rt::spawn(crate::service::search::index::follow(
        state.background.clone(),
        hub.advanced(),
        Duration::from_secs(settings.live.safety_poll_secs.max(1)),
    ));
    let graphiql = web::Data::new(GraphiqlPage(settings.graphql.graphiql));
    let sockets = web::Data::new(graphql::socket::Gate::new(
        settings.live.max_pending_sockets_per_client,
    ));
    let data = web::Data::new(state);
    let body_limit = settings.server.max_body_bytes;
    // Built once: the document does not change while the server runs.
    let openapi = rest::openapi::document();
    let settings_for_app = settings.clone();
    let mut server = HttpServer::new(move || {
        let settings = &settings_for_app;
        App::new()
            .app_data(data.clone())
            .app_data(door.clone())
            .app_data(graphiql.clone())
            .app_data(authenticator.clone())
            .app_data(hub.clone())
            .app_data(sockets.clone())
            .app_data(shaper.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(rest::json_config(body_limit))
            .app_data(rest::path_config())
            .app_data(rest::query_config())
            .wrap_fn(|request, service| {
                // The caller's id when they sent a usable one, else ours.
                let request_id = request
                    .extensions()
                    .get::<crate::telemetry::CallerRequestId>()
                    .map(|caller| caller.0.clone())
                    .or_else(|| {
                        request
                            .extensions()
                            .get::<RequestId>()
                            .map(|id| id.to_string())
                    });
                let response = service.call(request);
                async move {
                    let mut response = response.await?;
                    if let Some(id) = request_id
                        && let Ok(value) = HeaderValue::from_str(&id)
                    {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(response)
                }
            })
            .wrap(cors(&settings.cors))
            .wrap(TracingLogger::<crate::telemetry::RequestSpans>::new())
            .route("/", web::get().to(crate::web::desk))
            .route("/assets/{path:.*}", web::get().to(crate::web::asset))
            .route("/reviews/{id}", web::get().to(crate::web::review))
            .route(
                "/graphql/schema.graphql",
                web::get().to(graphql::schema_sdl),
            )
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            // The GraphQL door authenticates in its handlers, after the cheap checks of
            // the request (body, cost) and before anything runs.
            .service(
                web::resource("/graphql")
                    .wrap(from_fn(graphql::transport::media_type))
                    .route(web::post().to(graphql::graphql_post))
                    .route(
                        web::get()
                            .guard(guard::fn_guard(|ctx| ctx.head().upgrade()))
                            .to(graphql::socket::graphql_ws),
                    )
                    .route(web::get().to(graphql::graphql_get)),
            )
            .service(
                web::scope("/api/v1")
                    .wrap(from_fn(rest::idempotency::idempotency))
                    .wrap(from_fn(rest::text::reject_nul))
                    .wrap(from_fn(authenticate))
                    .wrap(from_fn(rest::head::head_as_get))
                    .configure(rest::configure)
                    .default_service(web::to(rest::not_found)),
            )
            .route(
                "/api/docs",
                web::get().to(|| async {
                    actix_web::HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/api/docs/"))
                        .finish()
                }),
            )
            .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", openapi.clone()))
            .default_service(web::to(rest::not_found))
    })
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(30));
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.listen(listener)?.run())
}
