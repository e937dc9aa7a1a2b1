//! Tags: topics on claims and articles.

use async_graphql::{Context, Object};
use uuid::Uuid;

use super::context::request_ctx;
use super::error::GqlResult;
use super::loaders::TagsKey;
use crate::service::tags::{self, Link};
use crate::service::{articles, claims};
use crate::views;

/// The tags of a claim or an article (batched across a response).
pub async fn tags_of(
    ctx: &Context<'_>,
    link: Link,
    owner: Uuid,
) -> async_graphql::Result<Vec<views::Tag>> {
    Ok(request_ctx(ctx)?
        .loader
        .load_one(TagsKey(link, owner))
        .await
        .gql()?
        .unwrap_or_default())
}

#[derive(Default)]
pub struct TagQuery;

#[Object]
impl TagQuery {
    /// Every tag, by name, with how many claims and articles carry it.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<views::TagCount>> {
        let c = request_ctx(ctx)?;
        tags::list(&c.state.db, c.actor)
            .await
            .map(|ts| ts.into_iter().map(Into::into).collect())
            .gql()
    }
}

#[derive(Default)]
pub struct TagMutation;

#[Object]
impl TagMutation {
    /// Adds tags to a claim by name (new names become tags). Needs the checker role.
    async fn tag_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        tags: Vec<String>,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        tags::tag(&c.state.db, c.actor, Link::Claim, claim_id, &tags)
            .await
            .gql()?;
        claims::get(&c.state.db, c.actor, claim_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Takes tags off a claim.
    async fn untag_claim(
        &self,
        ctx: &Context<'_>,
        claim_id: Uuid,
        tags: Vec<String>,
    ) -> async_graphql::Result<views::Claim> {
        let c = request_ctx(ctx)?;
        tags::untag(&c.state.db, c.actor, Link::Claim, claim_id, &tags)
            .await
            .gql()?;
        claims::get(&c.state.db, c.actor, claim_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Adds tags to an article by name. Needs the checker role.
    async fn tag_article(
        &self,
        ctx: &Context<'_>,
        article_id: Uuid,
        tags: Vec<String>,
    ) -> async_graphql::Result<views::Article> {
        let c = request_ctx(ctx)?;
        tags::tag(&c.state.db, c.actor, Link::Article, article_id, &tags)
            .await
            .gql()?;
        articles::get(&c.state.db, c.actor, article_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Takes tags off an article.
    async fn untag_article(
        &self,
        ctx: &Context<'_>,
        article_id: Uuid,
        tags: Vec<String>,
    ) -> async_graphql::Result<views::Article> {
        let c = request_ctx(ctx)?;
        tags::untag(&c.state.db, c.actor, Link::Article, article_id, &tags)
            .await
            .gql()?;
        articles::get(&c.state.db, c.actor, article_id)
            .await
            .map(Into::into)
            .gql()
    }

    /// Renames a tag everywhere it is used (editors). A name another tag has: CONFLICT.
    async fn rename_tag(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        name: String,
    ) -> async_graphql::Result<views::Tag> {
        let c = request_ctx(ctx)?;
        tags::rename(&c.state.db, c.actor, id, &name)
            .await
            .map(Into::into)
            .gql()
    }

    /// Deletes a tag, taking it off everything (editors). Returns its id.
    async fn delete_tag(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Uuid> {
        let c = request_ctx(ctx)?;
        tags::delete(&c.state.db, c.actor, id)
            .await
            .map(|t| t.id)
            .gql()
    }
}
