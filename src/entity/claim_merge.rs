//! The `claim_merges` table: claims merged into others, so their ids keep resolving.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "claim_merges")]
pub struct Model {
    /// The merged claim's id (it has no row in `claims` any more).
    #[sea_orm(primary_key, auto_increment = false)]
    pub merged_id: Uuid,
    /// The claim it became part of.
    pub claim_id: Uuid,
    pub merged_at: DateTimeUtc,
    pub merged_by_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub merged_by_name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
