//! The `claim_candidates` table.

use sea_orm::entity::prelude::*;

use crate::domain::{CandidateStatus, ClaimKind, SourceKind};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "claim_candidates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub article_id: Uuid,
    pub article_version: i32,
    pub fingerprint: String,
    pub kind: ClaimKind,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub quote: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub setting: Option<String>,
    pub speaker_name: Option<String>,
    pub speaker_kind: Option<SourceKind>,
    pub speaker_mention: Option<String>,
    pub speaker_id: Option<Uuid>,
    pub subject: Option<String>,
    pub measure: Option<String>,
    pub value: Option<String>,
    pub lower_bound: Option<String>,
    pub upper_bound: Option<String>,
    pub unit: Option<String>,
    pub approximate: bool,
    pub span_start: i32,
    pub span_end: i32,
    pub figure_start: Option<i32>,
    pub figure_end: Option<i32>,
    pub confidence: f64,
    pub rule: String,
    pub status: CandidateStatus,
    pub claim_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
