//! The worked example: a wire story of 17 November 2015 about the Paris attacks, loaded
//! through the service layer. Every step finds before it creates, so loading twice
//! changes nothing.

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::quantity::RawQuantity;
use crate::domain::{Actor, ClaimKind, SourceKind, Stance, Verdict};
use crate::error::AppError;
use crate::service::appearances::NewAppearance;
use crate::service::claims::{ClaimFilter, NewClaim};
use crate::service::pagination::{ListOrder, PageRequest};
use crate::service::sources::NewSource;
use crate::service::verifications::{NewCitation, NewVerification};
use crate::service::{articles, claims, sources, verifications};

/// The article text, shipped with the binary.
pub const ARTICLE_TEXT: &str = include_str!("../examples/article-hollande-2015-11-17.txt");
/// The fixture does not name its outlet or URL; the demo uses a reserved example domain.
pub const ARTICLE_URL: &str =
    "https://wire.example/2015/11/17/hollande-urges-us-russia-to-join-coalition-to-fight-isis";

/// What a load did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub article_id: Uuid,
    pub created: usize,
    pub existing: usize,
}

struct ClaimSpec {
    kind: ClaimKind,
    text: &'static str,
    speaker: Option<&'static str>,
    quote: Option<&'static str>,
    setting: Option<&'static str>,
    quantity: Option<RawQuantity>,
    /// The passage of the body the claim comes from (its span is computed from it).
    excerpt: &'static str,
}

const VERSAILLES: &str = "told a joint session of Parliament at the Palace of Versailles";

fn as_of() -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2015, 11, 17, 16, 1, 0).single()
}

fn claim_specs() -> Vec<ClaimSpec> {
    vec![
        ClaimSpec {
            kind: ClaimKind::Quote,
            text: "France is at war",
            speaker: Some("Francois Hollande"),
            quote: Some("France is at war"),
            setting: Some(VERSAILLES),
            quantity: None,
            excerpt: "France is at war",
        },
        ClaimSpec {
            kind: ClaimKind::Quote,
            text: "We're not engaged in a war of civilizations, because these assassins do not represent any. We are in a war against jihadist terrorism which is threatening the whole world",
            speaker: Some("Francois Hollande"),
            quote: None,
            setting: Some(
                "told a packed, somber chamber (joint session of Parliament at the Palace of Versailles)",
            ),
            quantity: None,
            excerpt: "We're not engaged in a war of civilizations, because these assassins do not represent any. We are in a war against jihadist terrorism which is threatening the whole world",
        },
        ClaimSpec {
            kind: ClaimKind::Quote,
            text: "We must combine our forces to achieve a result that is already too late in coming",
            speaker: Some("Francois Hollande"),
            quote: None,
            setting: Some(VERSAILLES),
            quantity: None,
            excerpt: "We must combine our forces to achieve a result that is already too late in coming",
        },
        ClaimSpec {
            kind: ClaimKind::Quantity,
            text: "The suicide bombings and shootings in Paris killed 129",
            speaker: None,
            quote: None,
            setting: None,
            quantity: Some(RawQuantity {
                subject: Some("November 2015 Paris attacks".into()),
                measure: Some("deaths".into()),
                value: Some("129".into()),
                unit: Some("people".into()),
                as_of: as_of(),
                ..RawQuantity::default()
            }),
            excerpt: "the suicide bombings and shootings that killed 129",
        },
        ClaimSpec {
            kind: ClaimKind::Quantity,
            text: "The U.S.-led coalition has been bombing ISIS for more than a year",
            speaker: None,
            quote: None,
            setting: None,
            quantity: Some(RawQuantity {
                subject: Some("U.S.-led coalition bombing of ISIS".into()),
                measure: Some("duration".into()),
                lower: Some("1".into()),
                unit: Some("year".into()),
                as_of: as_of(),
                ..RawQuantity::default()
            }),
            excerpt: "The U.S.-led coalition has been bombing ISIS for more than a year",
        },
        ClaimSpec {
            kind: ClaimKind::Event,
            text: "The Islamic State has claimed responsibility for Friday's coordinated attacks, saying they were in retaliation for France's involvement in U.S.-backed airstrikes in Iraq and Syria",
            speaker: Some("Islamic State"),
            quote: None,
            setting: None,
            quantity: None,
            excerpt: "The Islamic State has claimed responsibility for Friday's coordinated attacks",
        },
        ClaimSpec {
            kind: ClaimKind::Other,
            text: "Russia's strikes in Syria have mainly hit foreign-backed fighters battling Syrian President Bashar Assad, not the Islamic State",
            speaker: Some("Western officials"),
            quote: None,
            setting: None,
            quantity: None,
            excerpt: "Western officials say it has mainly hit foreign-backed fighters battling Syrian President Bashar Assad, not the Islamic State",
        },
    ]
}

fn source_specs() -> Vec<NewSource> {
    let source = |kind, name: &str, aliases: &[&str], description: &str| NewSource {
        kind,
        name: name.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        description: Some(description.to_owned()),
        url: None,
    };
    vec![
        source(
            SourceKind::Outlet,
            "Example Wire",
            &[],
            "Demo outlet standing in for the wire service of the worked example",
        ),
        source(
            SourceKind::Person,
            "Francois Hollande",
            &["François Hollande", "Hollande", "the French president"],
            "President of France 2012-2017",
        ),
        source(
            SourceKind::Organization,
            "Islamic State",
            &["ISIS", "ISIL", "the Islamic State"],
            "Jihadist group",
        ),
        source(
            SourceKind::Person,
            "Barack Obama",
            &["Obama", "President Obama"],
            "President of the United States 2009-2017",
        ),
        source(
            SourceKind::Person,
            "Vladimir Putin",
            &["Putin", "Russian President Vladimir Putin"],
            "President of Russia",
        ),
        source(
            SourceKind::Person,
            "John Kerry",
            &["Kerry", "Secretary of State Kerry"],
            "U.S. Secretary of State 2013-2017",
        ),
        source(
            SourceKind::Group,
            "Western officials",
            &[],
            "Unnamed Western government officials",
        ),
    ]
}

/// Splits the fixture into title and body (the first line is the headline).
fn title_and_body() -> (&'static str, &'static str) {
    let (title, body) = ARTICLE_TEXT.split_once('\n').unwrap_or((ARTICLE_TEXT, ""));
    (title.trim(), body.trim())
}

/// The character span of `excerpt` in `body`, if it occurs.
fn char_span(body: &str, excerpt: &str) -> Option<(i32, i32)> {
    let byte_start = body.find(excerpt)?;
    let start = body[..byte_start].chars().count();
    let end = start + excerpt.chars().count();
    Some((i32::try_from(start).ok()?, i32::try_from(end).ok()?))
}

/// Loads the worked example. Returns how many records were created and found.
pub async fn load(db: &DatabaseConnection) -> Result<DemoSummary, AppError> {
    let actor = Actor::system("demo");
    let mut summary = DemoSummary::default();
    let mut count = |created: bool| {
        if created {
            summary.created += 1;
        } else {
            summary.existing += 1;
        }
    };

    let mut source_ids = std::collections::HashMap::new();
    for spec in source_specs() {
        let existing = sources::find_by_kind_and_name(db, spec.kind, &spec.name).await?;
        count(existing.is_none());
        let source = match existing {
            Some(found) => found,
            None => sources::create(db, &actor, spec).await?,
        };
        source_ids.insert(source.name.clone(), source.id);
    }

    let (title, body) = title_and_body();
    let article = match articles::get_by_url(db, &actor, ARTICLE_URL).await {
        Ok(found) => {
            count(false);
            found
        }
        Err(AppError::NotFound { .. }) => {
            count(true);
            let input = articles::NewArticle {
                url: ARTICLE_URL.to_owned(),
                title: title.to_owned(),
                outlet_id: source_ids.get("Example Wire").copied(),
                published_at: as_of(),
                language: Some("en".into()),
                body: body.to_owned(),
            };
            articles::create(db, &actor, input).await?
        }
        Err(other) => return Err(other),
    };

    let in_article = ClaimFilter {
        article_id: Some(article.id),
        ..ClaimFilter::default()
    };
    let page = PageRequest {
        first: 100,
        after: None,
        order: ListOrder::NEWEST_FIRST,
    };
    let existing_claims = claims::list(db, &actor, &in_article, &page).await?;
    let mut toll_claim = None;
    for spec in claim_specs() {
        let found = existing_claims
            .items
            .iter()
            .map(|(_, c)| c)
            .find(|c| c.text == spec.text)
            .cloned();
        count(found.is_none());
        let is_toll = spec.kind == ClaimKind::Quantity && spec.text.contains("129");
        let claim = match found {
            Some(found) => found,
            None => {
                let span = char_span(body, spec.excerpt);
                let input = NewClaim {
                    kind: spec.kind,
                    text: spec.text.to_owned(),
                    speaker_id: spec.speaker.and_then(|name| source_ids.get(name).copied()),
                    status: None,
                    quote: spec.quote.map(str::to_owned),
                    setting: spec.setting.map(str::to_owned),
                    quantity: spec.quantity,
                    language: None,
                    appearances: vec![NewAppearance {
                        article_id: article.id,
                        excerpt: spec.excerpt.to_owned(),
                        span_start: span.map(|s| s.0),
                        span_end: span.map(|s| s.1),
                    }],
                    origin: None,
                };
                claims::create(db, &actor, input).await?
            }
        };
        if is_toll {
            toll_claim = Some(claim);
        }
    }

    if let Some(claim) = toll_claim {
        let history =
            verifications::history(db, &actor, claim.id, &PageRequest { first: 1, ..page }).await?;
        count(history.items.is_empty());
        if history.items.is_empty() {
            let input = NewVerification {
                verdict: Verdict::MostlyTrue,
                summary: "The toll stood at 129 when the story ran; French authorities later gave the final toll of the 13 November attacks as 130, after one of the wounded died.".into(),
                citations: vec![NewCitation {
                    url: "https://en.wikipedia.org/wiki/November_2015_Paris_attacks".into(),
                    source_id: None,
                    excerpt: Some("The final toll of the attacks was given as 130 dead.".into()),
                    stance: Stance::Context,
                }],
                publication: Default::default(),
                origin: None,
            };
            verifications::record(db, &actor, claim.id, input).await?;
        }
    }
    summary.article_id = article.id;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_excerpt_is_found_in_the_body() {
        let (_, body) = title_and_body();
        for spec in claim_specs() {
            assert!(char_span(body, spec.excerpt).is_some(), "{}", spec.excerpt);
        }
    }

    #[test]
    fn spans_count_characters_not_bytes() {
        assert_eq!(char_span("“ab” cd", "cd"), Some((5, 7)));
    }
}
