use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Responses to POSTs made with an Idempotency-Key, so that a retry (on any
        // instance, after any restart) returns the first response instead of acting again.
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(uuid(IdempotencyKeys::Id).primary_key())
                    .col(string(IdempotencyKeys::Owner))
                    .col(string(IdempotencyKeys::Key))
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    // Null while the first request is still being processed.
                    .col(small_integer_null(IdempotencyKeys::Status))
                    .col(json_null(IdempotencyKeys::Headers))
                    .col(text_null(IdempotencyKeys::Body))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    IdempotencyKeys::Table,
                    "idx-idempotency_keys-owner-key",
                    &["owner", "key"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                IdempotencyKeys::Table,
                "idx-idempotency_keys-expires_at",
                &["expires_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum IdempotencyKeys {
    Table,
    Id,
    Owner,
    Key,
    Fingerprint,
    Status,
    Headers,
    Body,
    CreatedAt,
    ExpiresAt,
}
