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
                    .table(WebhookEndpoints::Table)
                    .if_not_exists()
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(text(WebhookEndpoints::Url))
                    // The event types it wants, e.g. ["verification.recorded"].
                    .col(json(WebhookEndpoints::Events))
                    // A GraphQL selection set shaping the payload's `data`.
                    .col(text_null(WebhookEndpoints::Selection))
                    .col(string(WebhookEndpoints::Secret))
                    .col(boolean(WebhookEndpoints::Active))
                    // Set when a delivery ran out of retries; deliveries pause until an
                    // admin reactivates the endpoint.
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(text_null(WebhookEndpoints::FailingReason))
                    .col(uuid_null(WebhookEndpoints::CreatedById))
                    .col(string(WebhookEndpoints::CreatedByName))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .col(integer(WebhookEndpoints::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::EndpointId))
                    // The outbox position of the event: deliveries to one endpoint go out in
                    // this order.
                    .col(big_integer(WebhookDeliveries::EventTx))
                    .col(big_integer(WebhookDeliveries::EventSeq))
                    .col(string_len(WebhookDeliveries::EventType, 64))
                    // The exact body sent (and signed) on every attempt.
                    .col(text(WebhookDeliveries::Payload))
                    .col(string_len(WebhookDeliveries::State, 16))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    // A worker (of any instance) holds a delivery while it sends it; a
                    // crashed worker's lease simply runs out.
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LeaseUntil))
                    .col(small_integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-webhook_deliveries-endpoint_id")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .if_not_exists()
                    .col(uuid(WebhookAttempts::Id).primary_key())
                    .col(uuid(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                    .col(small_integer_null(WebhookAttempts::Status))
                    .col(text_null(WebhookAttempts::Error))
                    .col(integer(WebhookAttempts::DurationMs))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-webhook_attempts-delivery_id")
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // How far a consumer of the outbox (the webhook dispatcher) has read, shared by
        // every instance.
        manager
            .create_table(
                Table::create()
                    .table(OutboxCursors::Table)
                    .if_not_exists()
                    .col(string_len(OutboxCursors::Name, 64).primary_key())
                    .col(big_integer(OutboxCursors::Tx))
                    .col(big_integer(OutboxCursors::Seq))
                    .col(timestamp_with_time_zone(OutboxCursors::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (table, name, columns) in [
            (
                WebhookDeliveries::Table.into_iden(),
                "idx-webhook_deliveries-endpoint-order",
                &["endpoint_id", "event_tx", "event_seq"][..],
            ),
            (
                WebhookDeliveries::Table.into_iden(),
                "idx-webhook_deliveries-state-next_attempt_at",
                &["state", "next_attempt_at"][..],
            ),
            (
                WebhookAttempts::Table.into_iden(),
                "idx-webhook_attempts-delivery_id",
                &["delivery_id", "attempted_at"][..],
            ),
        ] {
            manager.create_index(index(table, name, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxCursors::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Events,
    Selection,
    Secret,
    Active,
    FailingSince,
    FailingReason,
    CreatedById,
    CreatedByName,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
pub enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventTx,
    EventSeq,
    EventType,
    Payload,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
pub enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    Status,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
pub enum OutboxCursors {
    Table,
    Name,
    Tx,
    Seq,
    UpdatedAt,
}
