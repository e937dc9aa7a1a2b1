//! Articles: queries, mutations and relation fields.

use async_graphql::{ComplexObject, Context, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{
    ArticleConnection, ClaimConnection, ListOrderInput, TotalCount, connection, page_request,
};
use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::SourceKey;
use crate::error::AppError;
use crate::service::articles::{self, ArticleFilter, ArticlePatch, NewArticle};
use crate::service::claims::ClaimFilter;
use crate::service::pagination::ListOrder;
use crate::views;
use crate::views::inputs::{CreateArticleInput, UpdateArticleInput};

/// Filters for `articles`; all given filters must hold.
#[derive(InputObject, Default)]
pub struct ArticleFilterInput {
    /// Published by this outlet.
    pub outlet_id: Option<Uuid>,
    /// In this language.
    pub language: Option<String>,
    /// Published at or after this time.
    pub published_after: Option<DateTime<Utc>>,
    /// Published before this time.
    pub published_before: Option<DateTime<Utc>>,
    /// Carrying any of these tags (unknown ones match nothing).
    pub tags: Option<Vec<String>>,
}

impl From<ArticleFilterInput> for ArticleFilter {
    fn from(f: ArticleFilterInput) -> Self {
        ArticleFilter {
            outlet_id: f.outlet_id,
            language: f.language,
            published_after: f.published_after,
            published_before: f.published_before,
            tags: f.tags,
        }
    }
}

#[derive(Default)]
pub struct ArticleQuery;

#[Object]
impl ArticleQuery {
    /// One article, by id or by URL (any spelling of it: it is canonicalised first).
    async fn article(
        &self,
        ctx: &Context<'_>,
        id: Option<Uuid>,
        url: Option<String>,
    ) -> async_graphql::Result<Option<views::Article>> {
        let c = request_ctx(ctx)?;
        let found = match (id, url) {
            (Some(id), None) => articles::get(&c.state.db, c.actor, id).await,
            (None, Some(url)) => articles::get_by_url(&c.state.db, c.actor, &url).await,
            _ => Err(AppError::invalid("id", "give exactly one of id and url")),
        };
        found.map(|m| Some(m.into())).gql()
    }

    /// Articles, newest first unless `orderBy` says otherwise.
    async fn articles(
        &self,
        ctx: &Context<'_>,
        filter: Option<ArticleFilterInput>,
        order_by: Option<ListOrderInput>,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last edge of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<ArticleConnection> {
        let c = request_ctx(ctx)?;
        let order = order_by.map(ListOrder::from).unwrap_or_default();
        let page = page_request(c.state.page_limits(), first, after.as_deref(), order)?;
        let filter = ArticleFilter::from(filter.unwrap_or_default());
        let rows = articles::list(&c.state.db, c.actor, &filter, &page)
            .await
            .gql()?;
        let (db, actor) = (c.state.db.clone(), c.actor.clone());
        let total = TotalCount::new(move || {
            let (db, actor, filter) = (db.clone(), actor.clone(), filter.clone());
            async move { articles::count(&db, &actor, &filter).await }
        });
        Ok(connection(rows.map(views::Article::from), total))
    }
}

#[derive(Default)]
pub struct ArticleMutation;

#[Object]
impl ArticleMutation {
    /// Creates an article. Needs the editor role; a second article with the same
    /// canonical URL is a CONFLICT.
    async fn create_article(
        &self,
        ctx: &Context<'_>,
        input: CreateArticleInput,
    ) -> async_graphql::Result<views::Article> {
        let c = request_ctx(ctx)?;
        let command: NewArticle = input.into();
        articles::create(&c.state.db, c.actor, command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Changes an article if `expectedVersion` is still its version (else CONFLICT).
    async fn update_article(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: i32,
        input: UpdateArticleInput,
    ) -> async_graphql::Result<views::Article> {
        let c = request_ctx(ctx)?;
        let command: ArticlePatch = input.into();
        articles::update(&c.state.db, c.actor, id, expected_version, command)
            .await
            .map(Into::into)
            .gql()
    }

    /// Deletes an article and its appearances (claims stay). An article where claims
    /// with a standing verdict appeared is what their published reviews rest on: refused
    /// (CONFLICT) unless `force`; then each such claim loses its appearance with an audit
    /// event and an `appearance.deleted` event. With `expectedVersion`, only that version
    /// (else CONFLICT, nothing deleted). Returns its id.
    async fn delete_article(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        expected_version: Option<i32>,
        #[graphql(default = false)] force: bool,
    ) -> async_graphql::Result<Uuid> {
        let c = request_ctx(ctx)?;
        articles::delete(&c.state.db, c.actor, id, expected_version, force)
            .await
            .map(|m| m.id)
            .gql()
    }
}

#[ComplexObject]
impl views::Article {
    /// Every write to this article, oldest first unless `orderBy` says otherwise.
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        order_by: Option<super::connection::ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<super::connection::AuditEventConnection> {
        let of = super::claim::Trail::Record("article", self.id);
        super::claim::trail(ctx, of, order_by, first, after).await
    }

    /// Its tags, by name.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<views::Tag>> {
        super::tag::tags_of(ctx, crate::service::tags::Link::Article, self.id).await
    }

    /// The outlet that published it.
    async fn outlet(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<views::Source>> {
        let Some(id) = self.outlet_id else {
            return Ok(None);
        };
        request_ctx(ctx)?.loader.load_one(SourceKey(id)).await.gql()
    }

    /// Claims that appear in this article, newest first unless `orderBy` says otherwise.
    async fn claims(
        &self,
        ctx: &Context<'_>,
        order_by: Option<ListOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ClaimConnection> {
        let filter = ClaimFilter {
            article_id: Some(self.id),
            ..ClaimFilter::default()
        };
        super::claim::list_claims(ctx, filter, order_by, first, after).await
    }

    /// Candidate claims extraction proposed from this article, in body order.
    async fn candidates(
        &self,
        ctx: &Context<'_>,
        status: Option<crate::domain::CandidateStatus>,
    ) -> async_graphql::Result<Vec<views::ClaimCandidate>> {
        super::candidate::of_article(ctx, self.id, status).await
    }
}
