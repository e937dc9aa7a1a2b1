//! The `principals` table.

use sea_orm::entity::prelude::*;

use crate::domain::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "principals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub created_at: DateTimeUtc,
    /// The identity provider's subject, for the holder of its tokens (`None` for key
    /// holders): registered when they first need to be known (see `service::principals`).
    #[sea_orm(column_type = "Text", nullable)]
    pub subject: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
