//! The `citations` table.

use sea_orm::entity::prelude::*;

use crate::domain::Stance;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "citations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub verification_id: Uuid,
    pub position: i16,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    pub source_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub excerpt: Option<String>,
    pub stance: Stance,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
