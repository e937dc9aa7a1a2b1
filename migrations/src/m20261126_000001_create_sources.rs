use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sources::Table)
                    .if_not_exists()
                    .col(uuid(Sources::Id).primary_key())
                    .col(string_len(Sources::Kind, 32))
                    .col(string(Sources::Name))
                    .col(json(Sources::Aliases))
                    .col(text_null(Sources::Description))
                    .col(string_null(Sources::Url))
                    .col(integer(Sources::Version))
                    .col(timestamp_with_time_zone(Sources::CreatedAt))
                    .col(timestamp_with_time_zone(Sources::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // One source per kind and name: imports and the demo upsert on it.
        manager
            .create_index(
                index(Sources::Table, "idx-sources-kind-name", &["kind", "name"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Sources::Table,
                "idx-sources-created_at-id",
                &["created_at", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                Sources::Table,
                "idx-sources-updated_at-id",
                &["updated_at", "id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sources::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Sources {
    Table,
    Id,
    Kind,
    Name,
    Aliases,
    Description,
    Url,
    Version,
    CreatedAt,
    UpdatedAt,
}
