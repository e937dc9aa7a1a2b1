//! Inputs shared by both doors: GraphQL input objects (camelCase) and REST JSON bodies
//! (snake_case), each converted into a service command.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Decimal;
use crate::domain::quantity::RawQuantity;
use crate::domain::{ClaimKind, ClaimStatus, Priority, Role, SourceKind, Stance, Verdict};
use crate::error::AppError;
use crate::service::appearances::NewAppearance;
use crate::service::articles::{ArticlePatch, NewArticle};
use crate::service::assignments::{AssignmentChange, AssignmentFilter};
use crate::service::claims::{ClaimFilter, ClaimPatch, NewClaim};
use crate::service::search::SearchQuery;
use crate::service::sources::{NewSource, SourcePatch};
use crate::service::verifications::{NewCitation, NewVerification};
use crate::service::webhooks::{EndpointPatch, NewEndpoint};

/// Maps an input that may be absent, null or a value onto a service patch field.
fn patch<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// A source to create.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSourceInput {
    /// What kind of source it is.
    pub kind: SourceKind,
    /// The name used for it (unique per kind).
    pub name: String,
    /// Other names it is known by.
    #[graphql(default)]
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A short description.
    pub description: Option<String>,
    /// Its web page.
    pub url: Option<String>,
}

impl From<CreateSourceInput> for NewSource {
    fn from(i: CreateSourceInput) -> Self {
        NewSource {
            kind: i.kind,
            name: i.name,
            aliases: i.aliases,
            description: i.description,
            url: i.url,
        }
    }
}

/// Changes to a source: omitted fields stay as they are, `null` clears an optional field.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSourceInput {
    /// A new kind.
    pub kind: Option<SourceKind>,
    /// A new name (unique per kind).
    pub name: Option<String>,
    /// Replaces the whole list of aliases.
    pub aliases: Option<Vec<String>>,
    /// A new description; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub description: MaybeUndefined<String>,
    /// A new web page; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub url: MaybeUndefined<String>,
}

impl From<UpdateSourceInput> for SourcePatch {
    fn from(i: UpdateSourceInput) -> Self {
        SourcePatch {
            kind: i.kind,
            name: i.name,
            aliases: i.aliases,
            description: patch(i.description),
            url: patch(i.url),
        }
    }
}

/// An article to create.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticleInput {
    /// The article's URL; stored in canonical form, which must be unique.
    pub url: String,
    /// Headline.
    pub title: String,
    /// The outlet (a source) that published it.
    pub outlet_id: Option<Uuid>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Language tag, e.g. `en`.
    pub language: Option<String>,
    /// Full text.
    #[graphql(default)]
    #[serde(default)]
    pub body: String,
}

impl From<CreateArticleInput> for NewArticle {
    fn from(i: CreateArticleInput) -> Self {
        NewArticle {
            url: i.url,
            title: i.title,
            outlet_id: i.outlet_id,
            published_at: i.published_at,
            language: i.language,
            body: i.body,
        }
    }
}

/// Changes to an article: omitted fields stay as they are, `null` clears an optional field.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticleInput {
    /// A new URL (canonicalised; must stay unique).
    pub url: Option<String>,
    /// A new headline.
    pub title: Option<String>,
    /// A new outlet; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub outlet_id: MaybeUndefined<Uuid>,
    /// A new publication time; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub published_at: MaybeUndefined<DateTime<Utc>>,
    /// A new language tag; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub language: MaybeUndefined<String>,
    /// A new full text. Existing appearance spans are not re-checked against it.
    pub body: Option<String>,
}

impl From<UpdateArticleInput> for ArticlePatch {
    fn from(i: UpdateArticleInput) -> Self {
        ArticlePatch {
            url: i.url,
            title: i.title,
            outlet_id: patch(i.outlet_id),
            published_at: patch(i.published_at),
            language: patch(i.language),
            body: i.body,
        }
    }
}

/// The figure of a quantity claim. Numbers are exact decimals.
#[derive(Clone, InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityInput {
    /// Of what ("November 2015 Paris attacks").
    pub subject: Option<String>,
    /// What is counted ("deaths").
    pub measure: String,
    /// The stated value.
    #[schema(value_type = Option<String>, example = "129")]
    pub value: Option<Decimal>,
    /// Lower bound ("more than a year": 1).
    #[schema(value_type = Option<String>)]
    pub lower: Option<Decimal>,
    /// Upper bound.
    #[schema(value_type = Option<String>)]
    pub upper: Option<Decimal>,
    /// Unit ("people", "year").
    pub unit: Option<String>,
    /// The text hedged the figure ("about", "nearly").
    #[graphql(default)]
    #[serde(default)]
    pub approximate: bool,
    /// The moment the figure refers to.
    pub as_of: Option<DateTime<Utc>>,
}

impl From<QuantityInput> for RawQuantity {
    fn from(q: QuantityInput) -> Self {
        RawQuantity {
            subject: q.subject,
            measure: Some(q.measure),
            value: q.value.map(|d| d.0.to_string()),
            lower: q.lower.map(|d| d.0.to_string()),
            upper: q.upper.map(|d| d.0.to_string()),
            unit: q.unit,
            approximate: q.approximate,
            as_of: q.as_of,
        }
    }
}

/// Where a claim appeared.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppearanceInput {
    /// The article.
    pub article_id: Uuid,
    /// The passage around the claim.
    pub excerpt: String,
    /// Start of the claim in the article body, in Unicode characters (inclusive).
    pub span_start: Option<i32>,
    /// End of the claim in the article body, in Unicode characters (exclusive).
    pub span_end: Option<i32>,
}

impl From<AppearanceInput> for NewAppearance {
    fn from(a: AppearanceInput) -> Self {
        NewAppearance {
            article_id: a.article_id,
            excerpt: a.excerpt,
            span_start: a.span_start,
            span_end: a.span_end,
        }
    }
}

/// A claim to create.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClaimInput {
    /// Quote, quantity, event or other.
    pub kind: ClaimKind,
    /// The claim as stated.
    pub text: String,
    /// The source it is attributed to.
    pub speaker_id: Option<Uuid>,
    /// UNREVIEWED (default) or IN_REVIEW.
    pub status: Option<ClaimStatus>,
    /// Quote claims: the verbatim words (default: the text).
    pub quote: Option<String>,
    /// Where or to whom it was said.
    pub setting: Option<String>,
    /// Quantity claims (required for them, refused for others): the figure.
    pub quantity: Option<QuantityInput>,
    /// Its language, a BCP 47 tag such as `en` or `fr-FR` (default: the language of the
    /// first article it appeared in).
    pub language: Option<String>,
    /// Articles it appeared in.
    #[graphql(default)]
    #[serde(default)]
    pub appearances: Vec<AppearanceInput>,
}

impl From<CreateClaimInput> for NewClaim {
    fn from(i: CreateClaimInput) -> Self {
        NewClaim {
            kind: i.kind,
            text: i.text,
            speaker_id: i.speaker_id,
            status: i.status,
            quote: i.quote,
            setting: i.setting,
            quantity: i.quantity.map(Into::into),
            language: i.language,
            appearances: i.appearances.into_iter().map(Into::into).collect(),
            origin: None,
        }
    }
}

/// Changes to a claim: omitted fields stay as they are, `null` clears an optional field.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClaimInput {
    /// A new kind; the kind-specific fields must fit it.
    pub kind: Option<ClaimKind>,
    /// New text.
    pub text: Option<String>,
    /// A new speaker; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub speaker_id: MaybeUndefined<Uuid>,
    /// A workflow move: UNREVIEWED → IN_REVIEW → REVIEWED, any → ARCHIVED.
    pub status: Option<ClaimStatus>,
    /// New verbatim words (quote claims); null clears them.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub quote: MaybeUndefined<String>,
    /// A new setting; null clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub setting: MaybeUndefined<String>,
    /// A new figure (quantity claims); null clears it.
    #[serde(default)]
    #[schema(value_type = Option<QuantityInput>)]
    pub quantity: MaybeUndefined<QuantityInput>,
    /// A new language (a BCP 47 tag); null clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub language: MaybeUndefined<String>,
}

impl From<UpdateClaimInput> for ClaimPatch {
    fn from(i: UpdateClaimInput) -> Self {
        ClaimPatch {
            kind: i.kind,
            text: i.text,
            speaker_id: patch(i.speaker_id),
            status: i.status,
            quote: patch(i.quote),
            setting: patch(i.setting),
            quantity: patch(i.quantity).map(|q| q.map(Into::into)),
            language: patch(i.language),
        }
    }
}

fn default_stance() -> Stance {
    Stance::Context
}

/// A piece of evidence.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitationInput {
    /// Where the evidence is (http or https).
    pub url: String,
    /// The source the evidence comes from.
    pub source_id: Option<Uuid>,
    /// The relevant passage.
    pub excerpt: Option<String>,
    /// How it bears on the claim (default CONTEXT).
    #[graphql(default_with = "Stance::Context")]
    #[serde(default = "default_stance")]
    pub stance: Stance,
}

/// A judgement to record.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordVerificationInput {
    /// The verdict.
    pub verdict: Verdict,
    /// The explanation.
    pub summary: String,
    /// The evidence, in order.
    #[graphql(default)]
    #[serde(default)]
    pub citations: Vec<CitationInput>,
    /// The newsroom's own published fact-check article, when there is one: it becomes
    /// the ClaimReview `url` (else the public review page, `/reviews/<claim id>`).
    #[serde(default)]
    pub review_url: Option<String>,
    /// The claim as the published review words it, short (at most 300 characters;
    /// search engines show about 75): the ClaimReview `claimReviewed`. Without it, the
    /// claim's text, shortened at a word.
    #[serde(default)]
    pub claim_reviewed: Option<String>,
    /// The review's language (a BCP 47 tag, e.g. `en`): the ClaimReview `inLanguage`.
    /// Without it, `public.review_language`.
    #[serde(default)]
    pub language: Option<String>,
}

impl From<RecordVerificationInput> for NewVerification {
    fn from(i: RecordVerificationInput) -> Self {
        NewVerification {
            publication: crate::service::verifications::Publication {
                review_url: i.review_url,
                claim_reviewed: i.claim_reviewed,
                language: i.language,
            },
            verdict: i.verdict,
            summary: i.summary,
            citations: i
                .citations
                .into_iter()
                .map(|c| NewCitation {
                    url: c.url,
                    source_id: c.source_id,
                    excerpt: c.excerpt,
                    stance: c.stance,
                })
                .collect(),
            origin: None,
        }
    }
}

/// Why a verification is withdrawn.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractVerificationInput {
    /// The reason, for the record.
    pub reason: String,
}

/// A key to create.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyInput {
    /// Who or what will hold it ("newsroom dashboard", "checker Ana").
    pub name: String,
    /// What its holder may do.
    pub role: Role,
    /// Days until it stops working (1–3650); omitted: it does not expire.
    pub expires_in_days: Option<u32>,
}

/// A webhook endpoint to register.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookInput {
    /// Where to POST deliveries (http or https; public addresses unless the server
    /// allows private ones).
    pub url: String,
    /// Event types to receive, e.g. `["verification.recorded", "claim.status_changed"]`.
    pub events: Vec<String>,
    /// A GraphQL selection set shaping each payload's `data`, e.g.
    /// `{ id text status speaker { name } }`; all events must then be about one record
    /// type. Without it, `data` carries the record's usual fields.
    pub selection: Option<String>,
    /// Receives deliveries (default true).
    #[graphql(default = true)]
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<CreateWebhookInput> for NewEndpoint {
    fn from(i: CreateWebhookInput) -> Self {
        NewEndpoint {
            url: i.url,
            events: i.events,
            selection: i.selection,
            active: i.active,
        }
    }
}

/// Changes to a webhook endpoint; absent fields stay as they are.
#[derive(InputObject, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookInput {
    /// A new URL.
    pub url: Option<String>,
    /// Replaces the event types.
    pub events: Option<Vec<String>>,
    /// A new selection; null removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub selection: MaybeUndefined<String>,
    /// false pauses deliveries; true resumes them and clears a failure.
    pub active: Option<bool>,
}

impl From<UpdateWebhookInput> for EndpointPatch {
    fn from(i: UpdateWebhookInput) -> Self {
        EndpointPatch {
            url: i.url,
            events: i.events,
            selection: patch(i.selection),
            active: i.active,
        }
    }
}

// One filter for both doors: the GraphQL input `ClaimFilterInput` and the REST query
// parameters of `GET /api/v1/claims` (where lists are comma-separated).
/// Which claims to list; all given conditions must hold.
#[derive(Clone, Debug, Default, InputObject, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClaimFilterInput {
    /// In any of these statuses.
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "unreviewed,in_review")]
    pub status: Option<Vec<ClaimStatus>>,
    /// Of any of these kinds.
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "quote,quantity")]
    pub kind: Option<Vec<ClaimKind>>,
    /// Whose current verdict is any of these.
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "false,mostly_false")]
    pub current_verdict: Option<Vec<Verdict>>,
    /// Attributed to this source.
    pub speaker_id: Option<Uuid>,
    /// Appearing in this article.
    pub article_id: Option<Uuid>,
    /// Appearing in an article this outlet published.
    pub outlet_id: Option<Uuid>,
    /// Quantity claims about this subject (exact match).
    pub subject: Option<String>,
    /// Quantity claims counting this measure (exact match).
    pub measure: Option<String>,
    /// Text contains this (case-insensitive).
    pub text_contains: Option<String>,
    /// Created at or after this time (RFC 3339).
    pub created_after: Option<DateTime<Utc>>,
    /// Created before this time (RFC 3339).
    pub created_before: Option<DateTime<Utc>>,
    /// Assigned to this principal.
    pub assignee_id: Option<Uuid>,
    /// `false`: only claims nobody has; `true`: only claims someone has.
    pub assigned: Option<bool>,
    /// Assigned with any of these priorities.
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "high,urgent")]
    pub priority: Option<Vec<Priority>>,
    /// Due before this time (RFC 3339).
    pub due_before: Option<DateTime<Utc>>,
    /// `true`: only claims past their due time that are not yet reviewed or archived.
    pub overdue: Option<bool>,
    /// Carrying any of these tags (unknown ones match nothing).
    #[serde(default, deserialize_with = "comma_separated")]
    #[param(value_type = Option<String>, example = "elections-2027,health")]
    pub tags: Option<Vec<String>>,
    /// Matching this full-text search: words in any form and case, with or without
    /// accents ("francois killed" finds "François … kill"), `"a phrase"`, `OR`, `-word`
    /// to exclude. The list keeps its own order; `search` ranks by relevance instead.
    #[param(example = "bataclan killed")]
    pub search: Option<String>,
}

impl TryFrom<ClaimFilterInput> for ClaimFilter {
    type Error = AppError;

    fn try_from(f: ClaimFilterInput) -> Result<Self, AppError> {
        let search = f
            .search
            .as_deref()
            .map(|raw| SearchQuery::parse("search", raw))
            .transpose()
            .map_err(|e| AppError::Validation(vec![e]))?;
        Ok(ClaimFilter {
            search,
            tags: f.tags,
            assignment: AssignmentFilter {
                assignee_id: f.assignee_id,
                assigned: f.assigned,
                priority: f.priority,
                due_before: f.due_before,
                overdue: f.overdue.unwrap_or(false),
            },
            status: f.status,
            kind: f.kind,
            current_verdict: f.current_verdict,
            speaker_id: f.speaker_id,
            article_id: f.article_id,
            outlet_id: f.outlet_id,
            subject: f.subject,
            measure: f.measure,
            text_contains: f.text_contains,
            created_after: f.created_after,
            created_before: f.created_before,
            without_appearances: false,
        })
    }
}

/// A comma-separated list of values (`unreviewed,in_review`) from a query parameter;
/// an empty parameter is no condition.
pub(crate) fn comma_separated<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let Some(raw) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if raw.trim().is_empty() {
        return Ok(None);
    }
    raw.split(',')
        .map(|item| item.trim().parse::<T>().map_err(serde::de::Error::custom))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Who gets a claim, how urgently, by when. Omitted fields keep what the assignment has
/// (a new one: normal priority, no due time); `dueAt: null` clears the due time.
#[derive(InputObject, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AssignClaimInput {
    /// A checker, editor or admin; omitted: whoever has the claim, or the caller when
    /// nobody has it (a checker taking it).
    pub assignee_id: Option<Uuid>,
    /// How urgent (editors only).
    pub priority: Option<Priority>,
    /// When the check is due (editors only); null clears it.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: MaybeUndefined<DateTime<Utc>>,
}

impl AssignClaimInput {
    pub fn into_change(self, expected_version: Option<i32>) -> AssignmentChange {
        AssignmentChange {
            assignee_id: self.assignee_id,
            priority: self.priority,
            due_at: patch(self.due_at),
            expected_version,
        }
    }
}

/// A note to add to a claim.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNoteInput {
    /// The text (at most 20,000 characters).
    pub body: String,
    /// The verification of this claim the note is about, if any.
    pub verification_id: Option<Uuid>,
}

/// A note's new text.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditNoteInput {
    /// The new text.
    pub body: String,
}

/// Why a note is withdrawn.
#[derive(InputObject, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetractNoteInput {
    /// The reason, kept with the note.
    pub reason: String,
}

/// Tags to add to (or take off) a claim or an article, by name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsInput {
    /// Names ("Elections 2027" is stored as "elections-2027"); at most 50.
    pub tags: Vec<String>,
}

/// A tag's new name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameTagInput {
    /// The new name.
    pub name: String,
}
