//! What claimtrack serves to browsers: the checker's desk at `/` and GraphiQL at
//! `/graphql`, with every script, style and font embedded in the binary (nothing loads
//! from a CDN, so both work offline and no third party runs code beside a pasted key).
//! The desk talks to claimtrack only through the public GraphQL API, as any dashboard
//! would; this module only serves its files, and renders the public review pages.

mod review;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::AppError;
use crate::interchange::claim_review::published;
use crate::state::AppState;

/// The files under `src/web/assets`, embedded at build time (also in debug builds).
#[derive(RustEmbed)]
#[folder = "src/web/assets/"]
struct Assets;

/// The desk's pages: scripts and styles from this server only; its data from the API.
const DESK_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// GraphiQL's page: as the desk's, plus the inline styles its editor sets and the fonts
/// its stylesheet carries as data URLs.
const GRAPHIQL_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// An embedded HTML page with its content security policy, or `None` when missing.
fn page(path: &str, policy: &'static str) -> Option<HttpResponse> {
    let file = Assets::get(path)?;
    Some(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_SECURITY_POLICY, policy))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
    )
}

/// GET / (and the desk's client-side routes): the desk.
pub async fn desk() -> HttpResponse {
    page("desk/index.html", DESK_POLICY).unwrap_or_else(|| HttpResponse::NotFound().finish())
}

/// The GraphiQL page, served by `GET /graphql` to browsers.
pub fn graphiql() -> HttpResponse {
    page("graphiql/index.html", GRAPHIQL_POLICY)
        .unwrap_or_else(|| HttpResponse::NotFound().finish())
}

/// GET /assets/{path}: an embedded file, revalidated by its content hash (the vendored
/// libraries carry their version in their path, so they are cached for a day).
pub async fn asset(request: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    // Pages are served at their routes, with their policies, not as files.
    let Some(file) = Assets::get(&path).filter(|_| !path.ends_with(".html")) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = if path.starts_with("vendor/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return response.finish();
    }
    let mime = file.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    };
    response
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ))
        .body(file.data.into_owned())
}

/// A published review's page: scripts none, styles from this server; any site may
/// frame it (newsrooms embed their reviews).
const REVIEW_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// GET /reviews/{claim id}: the claim's published review as a plain HTML page, with its
/// ClaimReview JSON-LD (the document `GET /api/v1/claims/{id}/claimreview` gives) for
/// search engines. No credentials needed: only reviewed claims have one.
pub async fn review(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let found = match uuid::Uuid::parse_str(&id) {
        Ok(id) => published(&state.db, &state.settings.public, id).await,
        Err(_) => Err(AppError::NotFound {
            entity: "published review",
            id: id.into_inner(),
        }),
    };
    let (status, body) = match found {
        Ok((claim, document)) => (StatusCode::OK, review::page(&claim, &document)),
        Err(AppError::NotFound { .. }) => (StatusCode::NOT_FOUND, review::missing()),
        Err(error) => {
            tracing::warn!(error = %error, "a public review page could not be read");
            (StatusCode::SERVICE_UNAVAILABLE, review::unavailable())
        }
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, REVIEW_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(body)
}
