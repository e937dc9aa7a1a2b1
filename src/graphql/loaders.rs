//! Per-request DataLoaders: every relation field is batched into one statement per level.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::Actor;
use crate::error::AppError;
use crate::service::pagination::Direction;
use crate::service::{appearances, articles, assignments, claims, sources, tags, verifications};
use crate::views;

/// Loads rows for one request; created per request so nothing is cached across requests.
pub struct DbLoader {
    db: DatabaseConnection,
    actor: Actor,
}

impl DbLoader {
    pub fn new(db: DatabaseConnection, actor: Actor) -> Self {
        Self { db, actor }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceKey(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArticleKey(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClaimKey(pub Uuid);
/// The first `n` appearances of a claim, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AppearancesKey {
    pub claim: Uuid,
    pub n: u64,
}
/// The newest `n` verifications of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VerificationsKey {
    pub claim: Uuid,
    pub n: u64,
}
/// The standing verification of a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StandingKey(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CitationsKey(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetractionKey(pub Uuid);

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> Uuid) -> Vec<Uuid> {
    keys.iter().map(|k| id(*k)).collect()
}

/// Groups `(parent, n)` keys by `n`, so each distinct page size is one statement.
fn by_size<K: Copy>(keys: &[K], split: impl Fn(K) -> (Uuid, u64)) -> HashMap<u64, Vec<Uuid>> {
    let mut groups: HashMap<u64, Vec<Uuid>> = HashMap::new();
    for key in keys {
        let (parent, n) = split(*key);
        groups.entry(n).or_default().push(parent);
    }
    groups
}

impl Loader<SourceKey> for DbLoader {
    type Value = views::Source;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[SourceKey]) -> LoadResult<SourceKey, Self::Value> {
        let rows = sources::by_ids(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|m| (SourceKey(m.id), m.into()))
            .collect())
    }
}

impl Loader<ArticleKey> for DbLoader {
    type Value = views::Article;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ArticleKey]) -> LoadResult<ArticleKey, Self::Value> {
        let rows = articles::by_ids(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|m| (ArticleKey(m.id), m.into()))
            .collect())
    }
}

impl Loader<ClaimKey> for DbLoader {
    type Value = views::Claim;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ClaimKey]) -> LoadResult<ClaimKey, Self::Value> {
        let rows = claims::by_ids(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|m| (ClaimKey(m.id), m.into()))
            .collect())
    }
}

/// An appearance loaded together with its article and outlet (one statement), which
/// the resolver feeds to the article and source loaders.
#[derive(Clone)]
pub struct PlacedAppearance {
    pub appearance: views::Appearance,
    pub article: views::Article,
    pub outlet: Option<views::Source>,
}

impl Loader<AppearancesKey> for DbLoader {
    type Value = Vec<PlacedAppearance>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[AppearancesKey]) -> LoadResult<AppearancesKey, Self::Value> {
        let mut out: HashMap<AppearancesKey, Self::Value> = HashMap::new();
        for (n, claims) in by_size(keys, |k| (k.claim, k.n)) {
            for placed in
                appearances::first_n_per_claim_placed(&self.db, &self.actor, &claims, n).await?
            {
                out.entry(AppearancesKey {
                    claim: placed.appearance.claim_id,
                    n,
                })
                .or_default()
                .push(PlacedAppearance {
                    appearance: placed.appearance.into(),
                    article: placed.article.into(),
                    outlet: placed.outlet.map(Into::into),
                });
            }
        }
        Ok(out)
    }
}

impl Loader<VerificationsKey> for DbLoader {
    type Value = Vec<views::Verification>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[VerificationsKey]) -> LoadResult<VerificationsKey, Self::Value> {
        let mut out: HashMap<VerificationsKey, Self::Value> = HashMap::new();
        for (n, claims) in by_size(keys, |k| (k.claim, k.n)) {
            for row in verifications::latest_n_per_claim(
                &self.db,
                &self.actor,
                &claims,
                n,
                Direction::Desc,
            )
            .await?
            {
                out.entry(VerificationsKey {
                    claim: row.claim_id,
                    n,
                })
                .or_default()
                .push(row.into());
            }
        }
        Ok(out)
    }
}

impl Loader<StandingKey> for DbLoader {
    type Value = views::Verification;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[StandingKey]) -> LoadResult<StandingKey, Self::Value> {
        let rows =
            verifications::standing_per_claim(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|m| (StandingKey(m.claim_id), m.into()))
            .collect())
    }
}

impl Loader<CitationsKey> for DbLoader {
    type Value = Vec<views::Citation>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[CitationsKey]) -> LoadResult<CitationsKey, Self::Value> {
        let mut out: HashMap<CitationsKey, Self::Value> = HashMap::new();
        for row in verifications::citations_of(&self.db, &self.actor, &ids(keys, |k| k.0)).await? {
            out.entry(CitationsKey(row.verification_id))
                .or_default()
                .push(row.into());
        }
        Ok(out)
    }
}

impl Loader<RetractionKey> for DbLoader {
    type Value = views::Retraction;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[RetractionKey]) -> LoadResult<RetractionKey, Self::Value> {
        let rows =
            verifications::retractions_of(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|m| (RetractionKey(m.verification_id), m.into()))
            .collect())
    }
}

/// The loader of one request, with a request-scoped cache.
pub type RequestLoader =
    async_graphql::dataloader::DataLoader<DbLoader, async_graphql::dataloader::HashMapCache>;

/// A claim's assignment, with its assignee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AssignmentKey(pub Uuid);

impl Loader<AssignmentKey> for DbLoader {
    type Value = views::Assignment;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[AssignmentKey]) -> LoadResult<AssignmentKey, Self::Value> {
        let rows = assignments::of_claims(&self.db, &self.actor, &ids(keys, |k| k.0)).await?;
        Ok(rows
            .into_iter()
            .map(|assigned| (AssignmentKey(assigned.0.claim_id), assigned.into()))
            .collect())
    }
}

/// The tags of a claim (or of an article), by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TagsKey(pub tags::Link, pub Uuid);

impl Loader<TagsKey> for DbLoader {
    type Value = Vec<views::Tag>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TagsKey]) -> LoadResult<TagsKey, Self::Value> {
        let mut out = HashMap::new();
        for link in [tags::Link::Claim, tags::Link::Article] {
            let owners: Vec<Uuid> = keys.iter().filter(|k| k.0 == link).map(|k| k.1).collect();
            for (owner, found) in tags::of(&self.db, &self.actor, link, &owners).await? {
                out.insert(
                    TagsKey(link, owner),
                    found.into_iter().map(Into::into).collect(),
                );
            }
        }
        Ok(out)
    }
}
