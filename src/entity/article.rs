//! The `articles` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "articles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub outlet_id: Option<Uuid>,
    pub published_at: Option<DateTimeUtc>,
    pub language: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
