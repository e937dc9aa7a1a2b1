//! `/api/v1/quantities` and `/api/v1/quantity-conflicts`

use actix_web::{HttpRequest, web};
use uuid::Uuid;

use super::problem::ProblemDetails;
use super::{PageParams, RestResult, page_response};
use crate::domain::{Actor, FieldError};
use crate::error::AppError;
use crate::service::pagination::ListOrder;
use crate::service::quantities::{self, ConflictFilter};
use crate::state::AppState;
use crate::views::{QuantityConflict, QuantitySeries};

pub fn quantities_scope() -> actix_web::Scope {
    web::scope("/quantities").service(
        web::resource("")
            .route(web::get().to(get_quantity))
            .default_service(web::to(super::method_not_allowed)),
    )
}

pub fn conflicts_scope() -> actix_web::Scope {
    web::scope("/quantity-conflicts")
        .service(
            web::resource("")
                .route(web::get().to(list_conflicts))
                .default_service(web::to(super::method_not_allowed)),
        )
        .service(
            web::resource("/{id}")
                .route(web::get().to(get_conflict))
                .default_service(web::to(super::method_not_allowed)),
        )
}

/// Names a quantity: its `key`, or a `subject` and `measure` (and `unit`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuantityParams {
    /// The quantity key, as claims show it (`quantity.key`).
    pub key: Option<String>,
    /// Of what ("November 2015 Paris attacks"); normalised like the key.
    pub subject: Option<String>,
    /// What is counted ("deaths").
    pub measure: Option<String>,
    /// The unit, if any.
    pub unit: Option<String>,
}

/// Every figure about one quantity, with its standing.
#[utoipa::path(get, path = "/api/v1/quantities", tag = "quantities",
    params(QuantityParams),
    responses(
        (status = 200, description = "Every figure about the quantity, oldest first", body = QuantitySeries),
        (status = 400, description = "Neither a key nor a subject and measure", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "No claim states a figure about it", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_quantity(
    state: web::Data<AppState>,
    actor: Actor,
    params: web::Query<QuantityParams>,
) -> RestResult {
    let params = params.into_inner();
    let key = match (params.key, params.subject, params.measure) {
        (Some(key), None, None) => key,
        (None, Some(subject), Some(measure)) => {
            quantities::key_of(&subject, &measure, params.unit.as_deref())?
        }
        _ => {
            return Err(AppError::invalid("key", "give either key, or subject and measure").into());
        }
    };
    let series = quantities::series(&state.db, &actor, &key)
        .await?
        .ok_or_else(|| AppError::NotFound {
            entity: "quantity",
            id: key,
        })?;
    Ok(actix_web::HttpResponse::Ok().json(QuantitySeries::from(series)))
}

/// Filters for listing conflicts.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictListParams {
    /// `open` (default), `resolved` or `all`.
    pub state: Option<String>,
    /// Conflicts about this quantity key only.
    pub key: Option<String>,
    /// Page size: default 20, at most 100 (more is an error).
    pub limit: Option<i32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Conflicts between figures from different sources, newest first.
#[utoipa::path(get, path = "/api/v1/quantity-conflicts", tag = "quantities",
    params(ConflictListParams),
    responses(
        (status = 200, description = "One page of conflicts", body = super::ListPage<QuantityConflict>),
        (status = 400, description = "Invalid parameters", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 401, description = "Missing or refused credentials", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list_conflicts(
    request: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    params: web::Query<ConflictListParams>,
) -> RestResult {
    let params = params.into_inner();
    let open = match params.state.as_deref() {
        None | Some("open") => Some(true),
        Some("resolved") => Some(false),
        Some("all") => None,
        Some(other) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "state",
                format!("'{other}' is not open, resolved or all"),
            )])
            .into());
        }
    };
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
        sort: None,
        direction: None,
    }
    .in_order(ListOrder::NEWEST_FIRST, &state)?;
    let filter = ConflictFilter {
        open,
        key: params.key,
    };
    let rows = quantities::list_conflicts(&state.db, &actor, &filter, &page).await?;
    Ok(page_response(&request, rows.map(QuantityConflict::from)))
}

/// One conflict.
#[utoipa::path(get, path = "/api/v1/quantity-conflicts/{id}", tag = "quantities",
    params(("id" = Uuid, Path, description = "Conflict id")),
    responses(
        (status = 200, description = "The conflict with both figures as they stand now", body = QuantityConflict),
        (status = 404, description = "No such conflict", body = ProblemDetails, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get_conflict(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Uuid>,
) -> RestResult {
    let conflict = quantities::get_conflict(&state.db, &actor, *id).await?;
    Ok(actix_web::HttpResponse::Ok().json(QuantityConflict::from(conflict)))
}
