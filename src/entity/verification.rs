//! The `verifications` table.

use sea_orm::entity::prelude::*;

use crate::domain::Verdict;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub claim_id: Uuid,
    pub verdict: Verdict,
    pub rating: Option<i16>,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: String,
    pub created_at: DateTimeUtc,
    /// The newsroom's own published fact-check article (the ClaimReview `url`).
    #[sea_orm(column_type = "Text", nullable)]
    pub review_url: Option<String>,
    /// The claim as the published review words it (ClaimReview `claimReviewed`).
    #[sea_orm(column_type = "Text", nullable)]
    pub claim_reviewed: Option<String>,
    /// The review's language (a BCP 47 tag).
    #[sea_orm(column_type = "Text", nullable)]
    pub language: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
