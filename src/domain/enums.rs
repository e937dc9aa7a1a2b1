//! Small value enums of the domain.

use super::string_enum;

string_enum! {
    /// What kind of thing a source is.
    SourceKind {
        /// A named person.
        Person => "person",
        /// A company, party, agency or armed group with a name.
        Organization => "organization",
        /// A publisher of articles.
        Outlet => "outlet",
        /// A government or one of its bodies.
        Government => "government",
        /// An unnamed group of people ("Western officials").
        Group => "group",
        /// A report, filing or other document.
        Document => "document",
        /// A published dataset.
        Dataset => "dataset",
    }
}

string_enum! {
    /// What kind of assertion a claim is.
    ClaimKind {
        /// Verbatim words attributed to a speaker.
        Quote => "quote",
        /// A number about something (deaths, money, duration).
        Quantity => "quantity",
        /// Something that happened or is said to have happened.
        Event => "event",
        /// Any other checkable assertion.
        Other => "other",
    }
}

string_enum! {
    /// How a piece of evidence bears on the claim.
    Stance {
        /// The evidence supports the claim.
        Supports => "supports",
        /// The evidence contradicts the claim.
        Contradicts => "contradicts",
        /// The evidence gives context without taking a side.
        Context => "context",
    }
}

string_enum! {
    /// Where a candidate claim stands.
    CandidateStatus {
        /// Proposed by extraction, not yet looked at.
        Open => "open",
        /// Accepted by a checker: a claim was created from it.
        Accepted => "accepted",
        /// Set aside by a checker.
        Dismissed => "dismissed",
    }
}

/// How urgent a claim's check is. Stored as its rank, so that queues sort on it: urgent
/// work first.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    async_graphql::Enum,
    utoipa::ToSchema,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Priority {
    /// When there is time.
    #[sea_orm(num_value = 0)]
    Low,
    /// The default.
    #[sea_orm(num_value = 1)]
    Normal,
    /// Before normal work.
    #[sea_orm(num_value = 2)]
    High,
    /// Before anything else (a claim spreading now).
    #[sea_orm(num_value = 3)]
    Urgent,
}

impl Priority {
    /// The stable wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    /// The stored rank (higher is more urgent).
    pub fn rank(self) -> i32 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Urgent,
        ]
        .into_iter()
        .find(|p| p.as_str() == raw)
        .ok_or_else(|| format!("unknown Priority '{raw}'"))
    }
}
