//! Liveness and readiness probes; always open.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// `/healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `/readyz`: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match crate::db::ping(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready", "database": "ok" })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": "unreachable" }))
        }
    }
}
