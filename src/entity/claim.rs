//! The `claims` table.

use sea_orm::entity::prelude::*;

use crate::domain::{ClaimKind, ClaimStatus, Verdict};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: ClaimKind,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub speaker_id: Option<Uuid>,
    pub status: ClaimStatus,
    pub current_verdict: Option<Verdict>,
    #[sea_orm(column_type = "Text", nullable)]
    pub quote: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub setting: Option<String>,
    /// Its language (a BCP 47 tag).
    pub language: Option<String>,
    pub subject: Option<String>,
    pub measure: Option<String>,
    pub value: Option<String>,
    pub lower_bound: Option<String>,
    pub upper_bound: Option<String>,
    pub unit: Option<String>,
    pub approximate: bool,
    pub as_of: Option<DateTimeUtc>,
    /// Groups figures about one quantity (see `domain::figures::quantity_key`).
    #[sea_orm(column_type = "Text", nullable)]
    pub quantity_key: Option<String>,
    /// The moment the figure counts from: `as_of`, else when the claim was recorded.
    pub quantity_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::source::Entity",
        from = "Column::SpeakerId",
        to = "super::source::Column::Id"
    )]
    Speaker,
    #[sea_orm(has_one = "super::assignment::Entity")]
    Assignment,
}

impl Related<super::source::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Speaker.def()
    }
}

impl Related<super::assignment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignment.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
