//! The schema: root objects merged from each area, limits, and the SDL export.

use async_graphql::{MergedObject, SDLExportOptions, Schema, SchemaBuilder};

use super::article::{ArticleMutation, ArticleQuery};
use super::assignment::{AssignmentMutation, AssignmentQuery};
use super::candidate::CandidateMutation;
use super::claim::{ClaimMutation, ClaimQuery};
use super::error::ErrorCodes;
use super::keys::{KeyMutation, KeyQuery};
use super::note::{NoteMutation, NoteQuery};
use super::quantity::QuantityQuery;
use super::search::SearchQueryRoot;
use super::source::{SourceMutation, SourceQuery};
use super::subscription::SubscriptionRoot;
use super::tag::{TagMutation, TagQuery};
use super::verification::{VerificationMutation, VerificationQuery};
use super::webhooks::{WebhookMutation, WebhookQuery};
use crate::config::GraphqlSettings;

/// Every query.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    SourceQuery,
    ArticleQuery,
    ClaimQuery,
    AssignmentQuery,
    NoteQuery,
    TagQuery,
    VerificationQuery,
    KeyQuery,
    WebhookQuery,
    QuantityQuery,
    SearchQueryRoot,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    SourceMutation,
    ArticleMutation,
    CandidateMutation,
    ClaimMutation,
    AssignmentMutation,
    NoteMutation,
    TagMutation,
    VerificationMutation,
    KeyMutation,
    WebhookMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema without data (used for the SDL and by `build`).
pub fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .extension(ErrorCodes)
}

/// The schema served, with the configured depth limit (the other ceilings are counted
/// before validation, in `limits`). Built once at start-up.
pub fn build(settings: &GraphqlSettings) -> AppSchema {
    builder().limit_depth(settings.max_depth).finish()
}

/// The same schema for callers the introspection policy keeps out: no introspection,
/// and no "did you mean …" suggestions, which would spell the schema out too.
pub fn build_sealed(settings: &GraphqlSettings) -> AppSchema {
    builder()
        .limit_depth(settings.max_depth)
        .disable_introspection()
        .disable_suggestions()
        .finish()
}

/// The SDL, sorted, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
