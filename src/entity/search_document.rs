//! The `search_documents` table: what full-text search finds of each record. (Its
//! `doc` number and the index over its terms belong to the database: a generated
//! `tsvector` on PostgreSQL, an FTS5 table on SQLite.)

use sea_orm::entity::prelude::*;

use crate::domain::search::SearchKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub entity_id: Uuid,
    pub kind: SearchKind,
    /// The language its terms were stemmed in ("en" when unknown).
    pub language: String,
    /// The texts as written, by weight: the record's own words (a claim's text, an
    /// article's title, a source's name) …
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// … what identifies it (speaker, subject; outlet; aliases) …
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    /// … and the longer texts about it (verification summaries; the article's body; a
    /// source's description).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "Text")]
    pub title_terms: String,
    #[sea_orm(column_type = "Text")]
    pub detail_terms: String,
    #[sea_orm(column_type = "Text")]
    pub body_terms: String,
    pub indexed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
