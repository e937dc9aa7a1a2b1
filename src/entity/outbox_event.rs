//! The `outbox_events` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// Filled by the database (the writing transaction's id on PostgreSQL).
    pub tx: i64,
    pub occurred_at: DateTimeUtc,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub claim_id: Option<Uuid>,
    pub operation: String,
    pub principal_id: Option<Uuid>,
    pub actor_name: String,
    pub state: Option<Json>,
    pub audit_event_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
