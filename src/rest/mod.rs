//! The REST door under `/api/v1`: the same service layer as GraphQL, as JSON resources
//! with problem+json errors, ETags and cursor pagination.

pub mod admission;
pub mod articles;
pub mod assignments;
pub mod audit;
pub mod candidates;
pub mod claims;
pub mod head;
pub mod idempotency;
pub mod interchange;
pub mod notes;
pub mod openapi;
pub mod problem;
pub mod quantities;
pub mod search;
pub mod sources;
pub mod tags;
pub mod text;
pub mod verifications;
pub mod webhooks;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, error::JsonPayloadError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::service::pagination::{Direction, ListOrder, Page, PageCursor, PageRequest, SortField};
use crate::state::AppState;
use problem::Problem;

pub type RestResult = Result<HttpResponse, Problem>;

/// Registers `/api/v1` (wrapped in the auth middleware by the caller).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sources::scope())
        .service(articles::scope())
        .service(claims::scope())
        .service(assignments::queue_resource())
        .service(assignments::principals_scope())
        .service(notes::scope())
        .service(tags::scope())
        .service(search::resources())
        .service(audit::resource())
        .service(candidates::scope())
        .service(quantities::quantities_scope())
        .service(quantities::conflicts_scope())
        .service(verifications::scope())
        .service(webhooks::endpoints_scope())
        .service(webhooks::deliveries_scope())
        .service(
            web::resource("/import")
                .route(web::post().to(interchange::import))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/export")
                .route(web::get().to(interchange::export))
                .default_service(web::to(method_not_allowed)),
        );
}

/// Reads a request's body inside a middleware (under the configured limit), as a
/// handler would: too large is a 413 problem, unreadable a 400 one.
pub async fn buffered_body(
    request: &mut actix_web::dev::ServiceRequest,
) -> Result<web::Bytes, Problem> {
    let limit = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.server.max_body_bytes);
    request.extract::<web::Bytes>().await.map_err(|error| {
        let overflow = error
            .as_error::<actix_web::error::PayloadError>()
            .is_some_and(|e| matches!(e, actix_web::error::PayloadError::Overflow));
        if overflow {
            let limit = limit.map_or(String::new(), |l| format!(" ({l} bytes)"));
            Problem::new(
                "PAYLOAD_TOO_LARGE",
                format!("the body is larger than the limit{limit}"),
            )
        } else {
            Problem::invalid(&[FieldError::new("body", error.to_string())])
        }
    })
}

/// Renders actix's own extractor failures as problems, like every other error.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|error, _| {
            let problem = match &error {
                JsonPayloadError::ContentType => Problem::new(
                    "UNSUPPORTED_MEDIA_TYPE",
                    "send a JSON body with Content-Type: application/json",
                ),
                JsonPayloadError::Overflow { limit }
                | JsonPayloadError::OverflowKnownLength { limit, .. } => Problem::new(
                    "PAYLOAD_TOO_LARGE",
                    format!("the body is larger than {limit} bytes"),
                ),
                JsonPayloadError::Deserialize(e) => {
                    Problem::invalid(&[FieldError::new("body", e.to_string())])
                }
                other => Problem::invalid(&[FieldError::new("body", other.to_string())]),
            };
            problem.into()
        })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _| {
        Problem::invalid(&[FieldError::new("path", error.to_string())]).into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _| {
        // The parameter's own complaint ("unknown ClaimStatus 'bogus'"), without
        // actix's wording around it.
        let message = match &error {
            actix_web::error::QueryPayloadError::Deserialize(inner) => inner.to_string(),
            other => other.to_string(),
        };
        Problem::invalid(&[FieldError::new("query", message)]).into()
    })
}

/// Unknown routes under `/api`.
pub async fn not_found(request: HttpRequest) -> RestResult {
    Err(Problem::new(
        "NOT_FOUND",
        format!("no route for {} {}", request.method(), request.path()),
    ))
}

/// Known routes, unsupported method.
pub async fn method_not_allowed(request: HttpRequest) -> RestResult {
    Err(Problem::new(
        "METHOD_NOT_ALLOWED",
        format!(
            "{} is not supported on {}",
            request.method(),
            request.path()
        ),
    ))
}

/// The ETag of a versioned resource: strong, since the version changes with every
/// change of the resource's representation.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// An entity tag as a request names it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum EntityTag {
    /// `"N"`: a version of ours.
    Strong(i32),
    /// `W/"N"`: never matches If-Match (strong comparison), matches If-None-Match.
    Weak(i32),
    /// A tag this server never gave out.
    Other,
}

/// The tags of an If-Match or If-None-Match header: `None` for `*`.
fn entity_tags(value: &str) -> Option<Vec<EntityTag>> {
    if value.trim() == "*" {
        return None;
    }
    Some(
        value
            .split(',')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(|tag| {
                let (weak, opaque) = match tag.strip_prefix("W/") {
                    Some(rest) => (true, rest),
                    None => (false, tag),
                };
                let version = opaque
                    .strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .and_then(|t| t.parse::<i32>().ok());
                match (weak, version) {
                    (false, Some(v)) => EntityTag::Strong(v),
                    (true, Some(v)) => EntityTag::Weak(v),
                    _ => EntityTag::Other,
                }
            })
            .collect(),
    )
}

/// An `If-Match` precondition (RFC 9110 §13.1.1): `*`, or entity tags compared
/// strongly (a weak tag never matches).
#[derive(Clone, Debug)]
pub enum IfMatch {
    Any,
    Tags(Vec<i32>),
}

impl IfMatch {
    /// The request's If-Match, if it has one.
    pub fn of(request: &HttpRequest) -> Result<Option<Self>, Problem> {
        let Some(value) = request.headers().get(header::IF_MATCH) else {
            return Ok(None);
        };
        let value = value.to_str().map_err(|_| precondition_failed())?;
        Ok(Some(match entity_tags(value) {
            None => IfMatch::Any,
            Some(tags) => IfMatch::Tags(
                tags.into_iter()
                    .filter_map(|tag| match tag {
                        EntityTag::Strong(v) => Some(v),
                        _ => None,
                    })
                    .collect(),
            ),
        }))
    }

    /// The request's If-Match, which updates must carry (428 without it).
    pub fn required(request: &HttpRequest) -> Result<Self, Problem> {
        Self::of(request)?.ok_or_else(|| {
            Problem::new(
                "PRECONDITION_REQUIRED",
                "send If-Match with the ETag from the last read of this resource",
            )
        })
    }

    /// The version the write must find: the one named when there is just one (checked
    /// inside the write's transaction), else the current one (`current` reads it) if it
    /// matches. 412 when nothing can match.
    pub async fn version<F>(&self, current: F) -> Result<i32, Problem>
    where
        F: Future<Output = Result<i32, crate::error::AppError>>,
    {
        match self {
            IfMatch::Tags(tags) if tags.len() == 1 => Ok(tags[0]),
            IfMatch::Tags(tags) if tags.is_empty() => Err(precondition_failed()),
            IfMatch::Tags(tags) => {
                let current = current.await?;
                if tags.contains(&current) {
                    Ok(current)
                } else {
                    Err(precondition_failed())
                }
            }
            IfMatch::Any => Ok(current.await?),
        }
    }
}

fn precondition_failed() -> Problem {
    Problem::new(
        "PRECONDITION_FAILED",
        "If-Match does not name the current version of this resource",
    )
}

/// The version an `If-Match` header names for an update: missing → 428, no current
/// version named → 412 (when it is read and compared: `IfMatch::version`).
pub async fn expected_version<F>(request: &HttpRequest, current: F) -> Result<i32, Problem>
where
    F: Future<Output = Result<i32, crate::error::AppError>>,
{
    IfMatch::required(request)?.version(current).await
}

/// The version a delete must find, when the request names one (`If-Match` is optional
/// on DELETE).
pub async fn delete_precondition<F>(
    request: &HttpRequest,
    current: F,
) -> Result<Option<i32>, Problem>
where
    F: Future<Output = Result<i32, crate::error::AppError>>,
{
    match IfMatch::of(request)? {
        None => Ok(None),
        Some(precondition) => precondition.version(current).await.map(Some),
    }
}

/// 200 with the resource and its ETag.
pub fn ok_versioned(version: i32, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// A read of a versioned resource: 304 Not Modified when `If-None-Match` names its
/// current version (weak comparison, RFC 9110 §13.1.2) or is `*`; else 200 with the
/// resource and its ETag.
pub fn read_versioned(request: &HttpRequest, version: i32, body: &impl Serialize) -> HttpResponse {
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|value| match entity_tags(value) {
            None => true,
            Some(tags) => tags.iter().any(
                |tag| matches!(tag, EntityTag::Strong(v) | EntityTag::Weak(v) if *v == version),
            ),
        });
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(version)))
            .finish();
    }
    ok_versioned(version, body)
}

/// 201 with `Location` (and the ETag when the resource is versioned).
pub fn created(location: String, version: Option<i32>, body: &impl Serialize) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location));
    if let Some(v) = version {
        response.insert_header((header::ETAG, etag(v)));
    }
    response.json(body)
}

/// Paging parameters common to every list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size: default 20, at most 100 (more is an error).
    pub limit: Option<i32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` (default) or `updated_at`.
    pub sort: Option<String>,
    /// `desc` (default: newest first) or `asc`.
    pub direction: Option<String>,
}

impl PageParams {
    pub fn to_request(&self, state: &AppState) -> Result<PageRequest, Problem> {
        let field = match self.sort.as_deref() {
            None | Some("created_at") => SortField::CreatedAt,
            Some("updated_at") => SortField::UpdatedAt,
            Some(other) => {
                return Err(Problem::invalid(&[FieldError::new(
                    "sort",
                    format!("'{other}' is not created_at or updated_at"),
                )]));
            }
        };
        let direction = match self.direction.as_deref() {
            None | Some("desc") => Direction::Desc,
            Some("asc") => Direction::Asc,
            Some(other) => {
                return Err(Problem::invalid(&[FieldError::new(
                    "direction",
                    format!("'{other}' is not asc or desc"),
                )]));
            }
        };
        PageRequest::parse(
            self.limit,
            self.cursor.as_deref(),
            ListOrder { field, direction },
            state.page_limits(),
        )
        .map_err(|e| rename_fields(e.into(), &[("first", "limit"), ("after", "cursor")]))
    }
}

impl PageParams {
    /// For lists with one fixed order (a claim's appearances or history).
    pub fn in_order(&self, order: ListOrder, state: &AppState) -> Result<PageRequest, Problem> {
        PageRequest::parse(
            self.limit,
            self.cursor.as_deref(),
            order,
            state.page_limits(),
        )
        .map_err(|e| rename_fields(e.into(), &[("first", "limit"), ("after", "cursor")]))
    }
}

fn rename_fields(mut problem: Problem, renames: &[(&str, &str)]) -> Problem {
    for error in &mut problem.errors {
        if let Some((_, to)) = renames.iter().find(|(from, _)| *from == error.field) {
            error.field = (*to).to_owned();
        }
    }
    for (from, to) in renames {
        problem.detail = problem
            .detail
            .replace(&format!("{from} "), &format!("{to} "));
    }
    problem
}

/// Parses a comma-separated list of enum values (`status=unreviewed,in_review`).
pub fn parse_list<T: std::str::FromStr>(
    field: &str,
    raw: &Option<String>,
) -> Result<Option<Vec<T>>, Problem> {
    let Some(raw) = raw.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    raw.split(',')
        .map(|item| {
            item.trim().parse::<T>().map_err(|_| {
                Problem::invalid(&[FieldError::new(
                    field,
                    format!("'{}' is not a valid value", item.trim()),
                )])
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// One page of a list, with the cursor and link to the next.
#[derive(Serialize, ToSchema)]
pub struct ListPage<T: ToSchema> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The URL of the next page; null on the last page.
    pub next: Option<String>,
}

/// Builds the page response: body, and a `Link: <…>; rel="next"` header.
pub fn page_response<T: Serialize + ToSchema, C: PageCursor>(
    request: &HttpRequest,
    page: Page<T, C>,
) -> HttpResponse {
    let next_cursor = page
        .has_next_page
        .then(|| page.items.last().map(|(cursor, _)| cursor.encode()))
        .flatten();
    let next = next_cursor.as_ref().map(|cursor| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in url::form_urlencoded::parse(request.query_string().as_bytes()) {
            if key != "cursor" {
                query.append_pair(&key, &value);
            }
        }
        query.append_pair("cursor", cursor);
        format!("{}?{}", request.path(), query.finish())
    });
    let mut response = HttpResponse::Ok();
    if let Some(link) = &next {
        response.insert_header((header::LINK, format!("<{link}>; rel=\"next\"")));
    }
    response.json(ListPage {
        items: page.items.into_iter().map(|(_, item)| item).collect(),
        next_cursor,
        next,
    })
}
