//! A deterministic dashboard-scale dataset, written with multi-row INSERTs (not one
//! request per row). The same seed gives the same rows, ids and times on SQLite and on
//! PostgreSQL: every value comes from one ChaCha8 stream, whose output is fixed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use claimtrack::domain::{ClaimKind, ClaimStatus, SourceKind, Verdict};
use claimtrack::entity::{appearance, article, claim, source, verification};

/// Sizes at scale 1.0 (the dataset).
const SOURCES: usize = 2_000;
const ARTICLES: usize = 10_000;
const CLAIMS_PER_ARTICLE: usize = 10;
/// Rows per INSERT statement (SQLite allows 32,766 parameters; claims have 20 columns).
const CHUNK: usize = 500;

/// What was written.
#[derive(Debug, Default)]
pub struct Seeded {
    pub sources: usize,
    pub articles: usize,
    pub claims: usize,
    pub appearances: usize,
    pub verifications: usize,
}

/// Deterministic ids: a UUIDv7 from the row's time and 10 bytes of the stream.
fn id(rng: &mut ChaCha8Rng, at: DateTime<Utc>) -> Uuid {
    let random: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
}

const PEOPLE: &[&str] = &[
    "Minister",
    "Senator",
    "Mayor",
    "Spokesperson",
    "Governor",
    "Deputy",
    "Ambassador",
];
const MEASURES: &[(&str, &str, &str)] = &[
    ("deaths", "people", "attack"),
    ("injured", "people", "attack"),
    ("budget", "EUR", "the 2026 budget"),
    ("unemployment rate", "percent", "the labour market"),
    ("asylum applications", "applications", "migration"),
    ("strikes", "strikes", "the air campaign"),
];

/// Fills an empty database with the dataset at `scale` (1.0: 2,000 sources, 10,000
/// articles, 100,000 claims, about 200,000 verifications).
pub async fn seed(db: &DatabaseConnection, seed: u64, scale: f64) -> anyhow::Result<Seeded> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let scaled = |n: usize| ((n as f64 * scale).round() as usize).max(1);
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| anyhow::anyhow!("start time"))?;
    let mut seeded = Seeded::default();

    // Sources: a tenth outlets (articles need them), the rest people, organisations,
    // governments and groups.
    let mut sources = Vec::new();
    let mut outlets = Vec::new();
    let mut speakers = Vec::new();
    for n in 0..scaled(SOURCES) {
        let at = start + Duration::seconds(n as i64);
        let kind = match n % 10 {
            0 => SourceKind::Outlet,
            1 | 2 => SourceKind::Organization,
            3 => SourceKind::Government,
            4 => SourceKind::Group,
            _ => SourceKind::Person,
        };
        let name = match kind {
            SourceKind::Outlet => format!("Outlet {n}"),
            SourceKind::Person => format!("{} {n}", PEOPLE[n % PEOPLE.len()]),
            other => format!("{other} {n}"),
        };
        let source_id = id(&mut rng, at);
        let row = source::ActiveModel {
            id: Set(source_id),
            kind: Set(kind),
            name: Set(name),
            aliases: Set(json!([])),
            description: Set(None),
            url: Set(None),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
        };
        match kind {
            SourceKind::Outlet => outlets.push(source_id),
            _ => speakers.push(source_id),
        }
        sources.push(row);
    }
    seeded.sources = sources.len();
    insert_chunks(db, sources).await?;

    let claims_start = start + Duration::days(1);
    let mut articles = Vec::new();
    let mut claims = Vec::new();
    let mut appearances = Vec::new();
    let mut verifications = Vec::new();
    let statuses = [
        ClaimStatus::InReview,
        ClaimStatus::Reviewed,
        ClaimStatus::Archived,
    ];
    for a in 0..scaled(ARTICLES) {
        let published = claims_start + Duration::seconds((a * CLAIMS_PER_ARTICLE) as i64 * 60);
        let article_id = id(&mut rng, published);
        let outlet = outlets[rng.random_range(0..outlets.len())];
        articles.push(article::ActiveModel {
            id: Set(article_id),
            url: Set(format!("https://outlet{}.example/news/{a}", a % 97)),
            title: Set(format!("Story number {a}")),
            outlet_id: Set(Some(outlet)),
            published_at: Set(Some(published)),
            language: Set(Some("en".into())),
            body: Set(String::new()),
            version: Set(1),
            created_at: Set(published),
            updated_at: Set(published),
        });
        for c in 0..CLAIMS_PER_ARTICLE {
            let n = a * CLAIMS_PER_ARTICLE + c;
            // Strictly increasing creation times, one minute apart.
            let at = published + Duration::seconds(c as i64 * 60);
            let claim_id = id(&mut rng, at);
            // 5 % without a speaker; 15 % in each non-default status.
            let speaker = (rng.random_range(0..100) >= 5)
                .then(|| speakers[rng.random_range(0..speakers.len())]);
            let roll = rng.random_range(0..100);
            let status = if roll < 45 {
                statuses[roll / 15]
            } else {
                ClaimStatus::Unreviewed
            };
            let kind_roll = rng.random_range(0..100);
            let mut row = claim::Model {
                id: claim_id,
                kind: ClaimKind::Other,
                text: format!("Claim {n} as reported"),
                speaker_id: speaker,
                status,
                current_verdict: None,
                quote: None,
                setting: None,
                language: None,
                subject: None,
                measure: None,
                value: None,
                lower_bound: None,
                upper_bound: None,
                unit: None,
                approximate: false,
                as_of: None,
                quantity_key: None,
                quantity_at: None,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            match kind_roll {
                0..35 => {
                    row.kind = ClaimKind::Quote;
                    row.quote = Some(format!("We will act on point {n}"));
                    row.text = format!("Said they will act on point {n}");
                }
                35..65 => {
                    let (measure, unit, subject) = MEASURES[rng.random_range(0..MEASURES.len())];
                    row.kind = ClaimKind::Quantity;
                    row.text = format!("{measure} reported in story {a}");
                    row.subject = Some(subject.into());
                    row.measure = Some(measure.into());
                    row.unit = Some(unit.into());
                    row.as_of = Some(at);
                    let value = rng.random_range(1..100_000u32);
                    if rng.random_range(0..4) == 0 {
                        // A hedge: "more than …".
                        row.lower_bound = Some(value.to_string());
                    } else {
                        row.value = Some(value.to_string());
                    }
                    claimtrack::service::quantities::key_claim(&mut row);
                }
                65..85 => row.kind = ClaimKind::Event,
                _ => {}
            }
            // Geometric number of verifications, mean 2, at most 11.
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            let count = ((u.ln() / (2.0f64 / 3.0).ln()).floor() as usize).min(11);
            let mut latest = None;
            for v in 0..count {
                let verdict = Verdict::ALL[rng.random_range(0..Verdict::ALL.len())];
                let checked = at + Duration::seconds(30 + v as i64 * 7);
                verifications.push(verification::ActiveModel {
                    id: Set(id(&mut rng, checked)),
                    claim_id: Set(claim_id),
                    verdict: Set(verdict),
                    rating: Set(verdict.rating().map(i16::from)),
                    summary: Set(format!("Checked claim {n}, review {v}")),
                    reviewer_id: Set(None),
                    reviewer_name: Set(format!("checker {}", v % 5)),
                    created_at: Set(checked),
                    review_url: Set(None),
                    claim_reviewed: Set(None),
                    language: Set(None),
                });
                latest = Some(verdict);
            }
            row.current_verdict = latest;
            appearances.push(appearance::ActiveModel {
                id: Set(id(&mut rng, at)),
                claim_id: Set(claim_id),
                article_id: Set(article_id),
                excerpt: Set(format!("… claim {n} …")),
                span_start: Set(None),
                span_end: Set(None),
                created_at: Set(at),
            });
            claims.push(claim::ActiveModel::from(row));
        }
    }
    seeded.articles = articles.len();
    seeded.claims = claims.len();
    seeded.appearances = appearances.len();
    seeded.verifications = verifications.len();
    insert_chunks(db, articles).await?;
    insert_chunks(db, claims).await?;
    insert_chunks(db, appearances).await?;
    insert_chunks(db, verifications).await?;
    Ok(seeded)
}

/// Inserts rows `CHUNK` at a time, all in one transaction.
async fn insert_chunks<A>(db: &DatabaseConnection, rows: Vec<A>) -> anyhow::Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let txn = db.begin().await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
