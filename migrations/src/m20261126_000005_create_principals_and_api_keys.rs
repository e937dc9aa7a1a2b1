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
                    .table(Principals::Table)
                    .if_not_exists()
                    .col(uuid(Principals::Id).primary_key())
                    .col(string(Principals::Name))
                    .col(string_len(Principals::Role, 16))
                    .col(timestamp_with_time_zone(Principals::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .if_not_exists()
                    .col(uuid(ApiKeys::Id).primary_key())
                    .col(uuid(ApiKeys::PrincipalId))
                    // Short, non-secret identifier shown in listings.
                    .col(string_len_uniq(ApiKeys::KeyId, 32))
                    // Only a digest of the secret is ever stored.
                    .col(string_len_uniq(ApiKeys::SecretHash, 128))
                    .col(string(ApiKeys::Name))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-api_keys-principal_id")
                            .from(ApiKeys::Table, ApiKeys::PrincipalId)
                            .to(Principals::Table, Principals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                ApiKeys::Table,
                "idx-api_keys-principal_id",
                &["principal_id"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Principals::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Principals {
    Table,
    Id,
    Name,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ApiKeys {
    Table,
    Id,
    PrincipalId,
    KeyId,
    SecretHash,
    Name,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}
