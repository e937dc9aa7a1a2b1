use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Decimal;
use crate::domain::figures::{ConflictResolution, FigureStatus};
use crate::domain::{ClaimStatus, Verdict};
use crate::service::quantities::{AssessedFigure, ConflictView, Series};

/// Who gives a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, async_graphql::Enum, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureSourceRole {
    /// The claim's speaker.
    Speaker,
    /// No speaker: the outlet of the first article the figure appeared in.
    Outlet,
}

/// One figure about a quantity, and how it stands against the others.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct QuantityFigure {
    /// The quantity claim stating it.
    pub claim_id: Uuid,
    /// The claim as stated.
    pub text: String,
    /// Who gives it (see `sourceRole`); null when unknown.
    pub source_id: Option<Uuid>,
    /// Whether the source is the claim's speaker or the outlet that carried it.
    pub source_role: Option<FigureSourceRole>,
    /// The stated value.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
    /// The stated lower bound.
    #[schema(value_type = Option<String>)]
    pub lower: Option<Decimal>,
    /// The stated upper bound.
    #[schema(value_type = Option<String>)]
    pub upper: Option<Decimal>,
    /// The unit.
    pub unit: Option<String>,
    /// Hedged ("about", "nearly").
    pub approximate: bool,
    /// The smallest value the figure allows (null: unbounded). An approximate value
    /// reaches 10 % either side.
    #[schema(value_type = Option<String>)]
    pub low: Option<Decimal>,
    /// The largest value the figure allows (null: unbounded).
    #[schema(value_type = Option<String>)]
    pub high: Option<Decimal>,
    /// The moment the figure refers to.
    pub as_of: DateTime<Utc>,
    /// Whether that moment was stated (else it is when the claim was recorded).
    pub as_of_stated: bool,
    /// The claim's current verdict.
    pub verdict: Option<Verdict>,
    /// The claim's workflow status.
    pub claim_status: ClaimStatus,
    /// Consistent with the best current figure, superseded, or in conflict.
    pub status: FigureStatus,
    /// The best current figure of its quantity: unrefuted, best supported, latest.
    pub best: bool,
    /// Within the current time window (24 hours up to the latest figure).
    pub current: bool,
    /// The claims of other sources' figures it conflicts with.
    pub conflicts_with: Vec<Uuid>,
}

impl From<AssessedFigure> for QuantityFigure {
    fn from(f: AssessedFigure) -> Self {
        let row = f.row;
        let interval = row.interval();
        let source_role = match (row.speaker_id, row.outlet_id) {
            (Some(_), _) => Some(FigureSourceRole::Speaker),
            (None, Some(_)) => Some(FigureSourceRole::Outlet),
            (None, None) => None,
        };
        Self {
            claim_id: row.id,
            source_id: row.source_id(),
            source_role,
            value: row.value().map(Decimal),
            lower: row.lower().map(Decimal),
            upper: row.upper().map(Decimal),
            low: interval.low.map(Decimal),
            high: interval.high.map(Decimal),
            verdict: row.verdict(),
            claim_status: row.status,
            as_of: row.quantity_at,
            as_of_stated: row.as_of.is_some(),
            text: row.text,
            unit: row.unit,
            approximate: row.approximate,
            status: f.standing.status,
            best: f.standing.best,
            current: f.standing.current,
            conflicts_with: f.standing.conflicts_with,
        }
    }
}

/// Every figure about one quantity (a subject and measure, in one unit), oldest first.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
#[graphql(complex)]
pub struct QuantitySeries {
    /// The quantity key: normalised subject, measure and unit ("paris attacks:death").
    pub key: String,
    /// The subject as the latest figure states it.
    pub subject: Option<String>,
    /// The measure as the latest figure states it.
    pub measure: Option<String>,
    /// The unit as the latest figure states it.
    pub unit: Option<String>,
    /// The claim of the best current figure.
    pub best_claim_id: Option<Uuid>,
    /// Every figure, by as-of time.
    pub figures: Vec<QuantityFigure>,
}

impl From<Series> for QuantitySeries {
    fn from(s: Series) -> Self {
        let latest = s.figures.last().map(|f| f.row.clone());
        Self {
            key: s.key,
            best_claim_id: s.figures.iter().find(|f| f.standing.best).map(|f| f.row.id),
            subject: latest.as_ref().and_then(|r| r.subject.clone()),
            measure: latest.as_ref().and_then(|r| r.measure.clone()),
            unit: latest.and_then(|r| r.unit),
            figures: s.figures.into_iter().map(Into::into).collect(),
        }
    }
}

/// Two sources giving disjoint figures for the same quantity at the same time.
#[derive(Clone, Debug, Serialize, SimpleObject, utoipa::ToSchema)]
pub struct QuantityConflict {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// The quantity key.
    pub key: String,
    /// Not yet resolved.
    pub open: bool,
    /// One figure as it stands now (null once its claim is deleted or no longer a figure).
    pub first: Option<QuantityFigure>,
    /// The other figure as it stands now.
    pub second: Option<QuantityFigure>,
    /// The first figure's claim (null once deleted).
    pub first_claim_id: Option<Uuid>,
    /// The second figure's claim (null once deleted).
    pub second_claim_id: Option<Uuid>,
    /// When the disagreement was noticed.
    pub detected_at: DateTime<Utc>,
    /// When it ended.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Why it ended.
    pub resolution: Option<ConflictResolution>,
}

impl From<ConflictView> for QuantityConflict {
    fn from(v: ConflictView) -> Self {
        let c = v.conflict;
        Self {
            id: c.id,
            open: c.resolved_at.is_none(),
            key: c.quantity_key,
            first: v.first.map(Into::into),
            second: v.second.map(Into::into),
            first_claim_id: c.first_claim_id,
            second_claim_id: c.second_claim_id,
            detected_at: c.detected_at,
            resolved_at: c.resolved_at,
            resolution: c.resolution,
        }
    }
}
