//! The `assignments` table: which principal checks a claim, by when, how urgently.

use sea_orm::entity::prelude::*;

use crate::domain::Priority;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub claim_id: Uuid,
    pub assignee_id: Uuid,
    pub priority: Priority,
    pub due_at: Option<DateTimeUtc>,
    /// When the current assignee got the claim.
    pub assigned_at: DateTimeUtc,
    /// Who gave it to them (an actor's name, as in the audit trail).
    #[sea_orm(column_type = "Text")]
    pub assigned_by: String,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::principal::Entity",
        from = "Column::AssigneeId",
        to = "super::principal::Column::Id"
    )]
    Assignee,
    #[sea_orm(
        belongs_to = "super::claim::Entity",
        from = "Column::ClaimId",
        to = "super::claim::Column::Id"
    )]
    Claim,
}

impl Related<super::principal::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Assignee.def()
    }
}

impl Related<super::claim::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Claim.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
