use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

/// Full-text search: one document per searchable record (claim, article, source) with
/// its texts by weight and their search terms (analysed by the application, the same on
/// both databases). Each database indexes the terms with what it is built for:
/// PostgreSQL a `tsvector` column it computes itself, under a GIN index; SQLite an FTS5
/// table kept in step by triggers.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchDocuments::Table)
                    .if_not_exists()
                    // The FTS5 rowid on SQLite (an alias of the rowid, which VACUUM keeps).
                    .col(
                        ColumnDef::new(SearchDocuments::Doc)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(uuid_uniq(SearchDocuments::EntityId))
                    .col(text(SearchDocuments::Kind))
                    .col(text(SearchDocuments::Language))
                    .col(text(SearchDocuments::Title))
                    .col(text(SearchDocuments::Detail))
                    .col(text(SearchDocuments::Body))
                    .col(text(SearchDocuments::TitleTerms))
                    .col(text(SearchDocuments::DetailTerms))
                    .col(text(SearchDocuments::BodyTerms))
                    .col(timestamp_with_time_zone(SearchDocuments::IndexedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                SearchDocuments::Table,
                "idx-search_documents-kind",
                &["kind"],
            ))
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE search_documents ADD COLUMN terms tsvector GENERATED ALWAYS AS (\
                     setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || \
                     setweight(to_tsvector('simple'::regconfig, detail_terms), 'B') || \
                     setweight(to_tsvector('simple'::regconfig, body_terms), 'C')) STORED",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX \"idx-search_documents-terms\" ON search_documents USING gin (terms)",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE search_fts USING fts5(\
                     title_terms, detail_terms, body_terms, \
                     content='search_documents', content_rowid='doc', \
                     tokenize='unicode61 remove_diacritics 2')",
                )
                .await?;
                let columns = "title_terms, detail_terms, body_terms";
                let old = "old.doc, old.title_terms, old.detail_terms, old.body_terms";
                let new = "new.doc, new.title_terms, new.detail_terms, new.body_terms";
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN \
                     INSERT INTO search_fts(rowid, {columns}) VALUES ({new}); END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN \
                     INSERT INTO search_fts(search_fts, rowid, {columns}) VALUES ('delete', {old}); END"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN \
                     INSERT INTO search_fts(search_fts, rowid, {columns}) VALUES ('delete', {old}); \
                     INSERT INTO search_fts(rowid, {columns}) VALUES ({new}); END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS search_fts")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SearchDocuments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SearchDocuments {
    Table,
    Doc,
    EntityId,
    Kind,
    Language,
    Title,
    Detail,
    Body,
    TitleTerms,
    DetailTerms,
    BodyTerms,
    IndexedAt,
}
