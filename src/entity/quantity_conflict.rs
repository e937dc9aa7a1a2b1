//! The `quantity_conflicts` table.

use sea_orm::entity::prelude::*;

use crate::domain::figures::ConflictResolution;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quantity_conflicts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub quantity_key: String,
    /// The smaller claim id of the pair; null once that claim is deleted.
    pub first_claim_id: Option<Uuid>,
    pub second_claim_id: Option<Uuid>,
    pub detected_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolution: Option<ConflictResolution>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
