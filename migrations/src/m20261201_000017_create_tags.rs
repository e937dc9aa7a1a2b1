use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261126_000003_create_claims::Claims;

/// Tags (topics such as "elections-2027"), attached to claims and articles by reference,
/// so renaming a tag renames it everywhere.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .if_not_exists()
                    .col(uuid(Tags::Id).primary_key())
                    .col(text_uniq(Tags::Name))
                    .col(timestamp_with_time_zone(Tags::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (table, owner, owner_table) in [
            (TagLinks::ClaimTags, TagLinks::ClaimId, TagLinks::Claims),
            (
                TagLinks::ArticleTags,
                TagLinks::ArticleId,
                TagLinks::Articles,
            ),
        ] {
            let (name, owner_name) = (table.to_string(), owner.to_string());
            manager
                .create_table(
                    Table::create()
                        .table(table)
                        .if_not_exists()
                        .col(uuid(owner))
                        .col(uuid(TagLinks::TagId))
                        .primary_key(Index::create().col(owner).col(TagLinks::TagId))
                        .foreign_key(
                            ForeignKey::create()
                                .name(format!("fk-{name}-{owner_name}"))
                                .from(table, owner)
                                .to(owner_table, Claims::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name(format!("fk-{name}-tag_id"))
                                .from(table, TagLinks::TagId)
                                .to(Tags::Table, Tags::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .to_owned(),
                )
                .await?;
            // What carries a tag (the filters), from the tag's side.
            manager
                .create_index(index(table, &format!("idx-{name}-tag_id"), &["tag_id"]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [TagLinks::ClaimTags, TagLinks::ArticleTags] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Tags::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TagLinks {
    ClaimTags,
    ArticleTags,
    Claims,
    Articles,
    ClaimId,
    ArticleId,
    TagId,
}
