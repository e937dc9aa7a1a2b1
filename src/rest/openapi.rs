//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the offline
//! docs page (Swagger UI served from the binary).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::problem::{FieldProblem, ProblemDetails};
use super::{
    articles, assignments, audit, candidates, claims, interchange, notes, quantities, search,
    sources, tags, verifications, webhooks,
};

/// Declares the bearer scheme every route uses (API key or identity-provider JWT).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description =
            Some("An API key (`ct_…`) or a JWT from the configured identity provider".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "claimtrack REST API",
        description = "Claims in the news, who made them, where they appeared and what checkers found. Errors are application/problem+json (RFC 9457).",
    ),
    paths(
        sources::list_sources, sources::create_source, sources::get_source, sources::update_source, sources::delete_source, sources::get_speaker_record,
        articles::list_articles, articles::create_article, articles::get_article, articles::update_article, articles::delete_article,
        claims::list_claims, claims::create_claim, claims::get_claim, claims::update_claim, claims::delete_claim, claims::merge_claim,
        claims::list_appearances, claims::add_appearance, claims::remove_appearance, claims::get_claim_review,
        assignments::get_assignment, assignments::assign_claim, assignments::unassign_claim,
        assignments::my_queue, assignments::get_me, assignments::list_assignable,
        notes::list_notes, notes::add_note, notes::get_note, notes::edit_note, notes::retract_note,
        tags::list_tags, tags::rename_tag, tags::delete_tag, tags::claim_tags, tags::tag_claim,
        tags::untag_claim, tags::article_tags, tags::tag_article, tags::untag_article,
        search::search, search::checked_before, audit::list_audit_events,
        verifications::get_standing,
        verifications::list_verifications, verifications::record_verification,
        verifications::get_verification, verifications::retract_verification,
        candidates::list_candidates, candidates::extract_claims, candidates::get_candidate,
        candidates::accept_candidate, candidates::dismiss_candidate,
        quantities::get_quantity, quantities::list_conflicts, quantities::get_conflict,
        interchange::import, interchange::export,
        webhooks::list_webhooks, webhooks::create_webhook, webhooks::get_webhook,
        webhooks::update_webhook, webhooks::delete_webhook, webhooks::list_deliveries,
        webhooks::get_delivery, webhooks::replay_delivery,
    ),
    components(schemas(ProblemDetails, FieldProblem)),
    modifiers(&BearerScheme),
    tags(
        (name = "sources", description = "People, organisations, outlets and other sources"),
        (name = "articles", description = "Published pieces, unique by canonical URL"),
        (name = "claims", description = "Checkable assertions and where they appeared"),
        (name = "assignment", description = "Who checks what, by when: assignments, queues and the principals work goes to"),
        (name = "notes", description = "The team's internal discussion of claims and verifications (never in ClaimReview or the export)"),
        (name = "tags", description = "Topics on claims and articles; renaming a tag renames it everywhere"),
        (name = "audit", description = "Who changed what, when: the trail of a claim or of any record, deleted ones included"),
        (name = "search", description = "Full-text search over claims, articles and sources, ranked, with highlighted passages"),
        (name = "verifications", description = "Append-only verdicts with evidence"),
        (name = "candidates", description = "Claims proposed by extraction from article text, until accepted or dismissed"),
        (name = "quantities", description = "Every figure about one quantity across sources, and the conflicts between them"),
        (name = "interchange", description = "NDJSON bulk import and export"),
        (name = "webhooks", description = "Signed, retried event deliveries to your endpoints (admin)"),
    )
)]
pub struct ApiDoc;

/// The document served at `/api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
