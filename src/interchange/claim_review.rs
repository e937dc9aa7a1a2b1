//! schema.org ClaimReview JSON-LD for a claim's current verification, the format search
//! engines and fact-check aggregators read.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::config::PublicSettings;
use crate::domain::{Actor, ClaimStatus, Role, SourceKind, Verdict};
use crate::error::AppError;
use crate::service::pagination::{Direction, ListOrder, PageRequest, SortField};
use crate::service::{appearances, articles, claims, sources, verifications};

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// A Person or Organization node for a source.
fn party(kind: SourceKind, name: &str, url: Option<&str>) -> Value {
    let kind = match kind {
        SourceKind::Person => "Person",
        _ => "Organization",
    };
    let mut node = json!({ "@type": kind, "name": name });
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        node["url"] = json!(url);
    }
    node
}

/// The ClaimReview document of a claim's standing verification; NOT_FOUND when the claim
/// has none (nothing has been concluded that could be published).
pub async fn document(
    db: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    public: &PublicSettings,
    claim_id: Uuid,
) -> Result<Value, AppError> {
    let claim = claims::get(db, actor, claim_id).await?;
    let verification = verifications::standing_per_claim(db, actor, &[claim_id])
        .await?
        .pop()
        .ok_or_else(|| AppError::NotFound {
            entity: "claim review",
            id: format!("{claim_id} (the claim has no verification that stands)"),
        })?;
    let verdict: Verdict = verification.verdict;

    let first_appearances = PageRequest {
        first: 100,
        after: None,
        order: ListOrder {
            field: SortField::CreatedAt,
            direction: Direction::Asc,
        },
    };
    let appeared = appearances::for_claim(db, actor, claim_id, &first_appearances).await?;
    let article_ids: Vec<Uuid> = appeared.items.iter().map(|(_, a)| a.article_id).collect();
    let found = articles::by_ids(db, actor, &article_ids).await?;
    let outlet_ids: Vec<Uuid> = found.iter().filter_map(|a| a.outlet_id).collect();
    let mut source_ids = outlet_ids;
    source_ids.extend(claim.speaker_id);
    let parties = sources::by_ids(db, actor, &source_ids).await?;
    let source = |id: Option<Uuid>| id.and_then(|id| parties.iter().find(|s| s.id == id));

    // Articles by publication: the earliest published first (its first appearance),
    // undated ones last in the order the claim was found in them.
    let mut ordered: Vec<_> = article_ids
        .iter()
        .filter_map(|id| found.iter().find(|a| a.id == *id))
        .collect();
    ordered.sort_by_key(|a| (a.published_at.is_none(), a.published_at));
    let appearance: Vec<Value> = ordered
        .iter()
        .map(|article| {
            let mut node =
                json!({ "@type": "NewsArticle", "url": article.url, "headline": article.title });
            if let Some(published) = article.published_at {
                node["datePublished"] = json!(date(published));
            }
            if let Some(outlet) = source(article.outlet_id) {
                node["publisher"] = party(outlet.kind, &outlet.name, outlet.url.as_deref());
            }
            node
        })
        .collect();

    let mut item = Map::new();
    item.insert("@type".into(), json!("Claim"));
    // Who made the claim: its speaker, or else the outlet that first published it.
    let author =
        source(claim.speaker_id).or_else(|| ordered.iter().find_map(|a| source(a.outlet_id)));
    if let Some(author) = author {
        item.insert(
            "author".into(),
            party(author.kind, &author.name, author.url.as_deref()),
        );
    }
    // The claim was made when it was first published.
    let made = ordered.iter().filter_map(|a| a.published_at).min();
    if let Some(made) = made {
        item.insert("datePublished".into(), json!(date(made)));
    }
    if let Some(language) = &claim.language {
        item.insert("inLanguage".into(), json!(language));
    }
    if !appearance.is_empty() {
        item.insert("firstAppearance".into(), appearance[0].clone());
        item.insert("appearance".into(), json!(appearance));
    }

    let mut rating = json!({ "@type": "Rating", "alternateName": verdict.label() });
    if let Some(value) = verdict.rating() {
        rating["ratingValue"] = json!(value);
        rating["bestRating"] = json!(5);
        rating["worstRating"] = json!(1);
    }
    let mut author = json!({ "@type": "Organization", "name": public.organization_name });
    if !public.organization_url.is_empty() {
        author["url"] = json!(public.organization_url);
    }
    // The newsroom's own article when the checker gave one, else our public page.
    let url = verification
        .review_url
        .clone()
        .unwrap_or_else(|| review_page_url(public, claim.id));
    let claim_reviewed = verification
        .claim_reviewed
        .clone()
        .unwrap_or_else(|| shortened(&claim.text, CLAIM_REVIEWED_CHARS));
    let mut review = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim_reviewed,
        "datePublished": date(verification.created_at),
        "author": author,
        "reviewRating": rating,
        "reviewBody": verification.summary,
        "itemReviewed": Value::Object(item),
    });
    // The review's own language (the checker's, else the organisation's), never the
    // claimed article's.
    let language = verification
        .language
        .clone()
        .or_else(|| Some(public.review_language.clone()).filter(|l| !l.is_empty()));
    if let Some(language) = language {
        review["inLanguage"] = json!(language);
    }
    Ok(review)
}

/// A claim's published review: the claim and its ClaimReview, when its checking is
/// done (status `reviewed`, so a verdict stands). Anything else, drafts included, is
/// NOT_FOUND: the public page shows only what the newsroom has concluded.
pub async fn published(
    db: &impl sea_orm::ConnectionTrait,
    public: &PublicSettings,
    claim_id: Uuid,
) -> Result<(crate::entity::claim::Model, Value), AppError> {
    let reader = Actor::system_with_role("public review page", Role::Viewer);
    let not_published = || AppError::NotFound {
        entity: "published review",
        id: claim_id.to_string(),
    };
    let claim = match claims::get(db, &reader, claim_id).await {
        Err(AppError::NotFound { .. }) => return Err(not_published()),
        other => other?,
    };
    if claim.status != ClaimStatus::Reviewed {
        return Err(not_published());
    }
    let review = document(db, &reader, public, claim.id).await?;
    Ok((claim, review))
}

/// Where the public page of a claim's review is: `<public.base_url>/reviews/<id>`.
pub fn review_page_url(public: &PublicSettings, claim_id: Uuid) -> String {
    format!(
        "{}/reviews/{claim_id}",
        public.base_url.trim_end_matches('/')
    )
}

/// How long a `claimReviewed` made from the claim's text may be: search engines show
/// about 75 characters.
const CLAIM_REVIEWED_CHARS: usize = 75;

/// `text` cut at the last word that fits in `max` characters, with an ellipsis.
fn shortened(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = cut
        .rfind(char::is_whitespace)
        .map_or(cut.as_str(), |end| &cut[..end]);
    format!(
        "{}…",
        at_word.trim_end_matches(|c: char| c.is_whitespace() || ",;:".contains(c))
    )
}

#[cfg(test)]
mod tests {
    use super::shortened;

    #[test]
    fn a_long_claim_is_shortened_at_a_word() {
        assert_eq!(shortened("France is at war", 75), "France is at war");
        let long = "We're not engaged in a war of civilizations, because these assassins do not represent any";
        let short = shortened(long, 75);
        assert!(short.chars().count() <= 75, "{short}");
        assert_eq!(
            short,
            "We're not engaged in a war of civilizations, because these assassins do…"
        );
    }
}
