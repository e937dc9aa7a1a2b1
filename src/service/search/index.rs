//! Keeping the search documents in step with the records. The index follows the
//! outbox, like webhooks do: every committed change has an event there, so every write
//! path (requests, batches, imports, other instances) reaches the index without each
//! one having to remember it. A shared cursor says how far the index has followed; it
//! moves in the same transaction as the documents it covers, so a crash loses nothing
//! and two instances never index the same events twice. Searches first freshen the
//! documents of the latest commits, so a caller finds what it has just written.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::domain::same_words;
use crate::domain::search::{SearchKind, language_code, terms};
use crate::entity::{
    appearance, article, claim, outbox_cursor, outbox_event, retraction, search_document, source,
    verification,
};
use crate::error::AppError;
use crate::service::outbox::{self, Position};
use crate::service::{Db, begin_write, now};

/// The index's cursor. The name carries the analysis's version: a release that changes
/// how text becomes terms renames it, and the next start indexes everything again.
const CURSOR: &str = "search.v1";

/// Events taken per pass.
const BATCH: u32 = 500;

/// Records read per statement (bounded `IN` lists).
const CHUNK: usize = 500;

/// The records whose documents an outbox batch changes.
#[derive(Debug, Default)]
struct Targets {
    claims: BTreeSet<Uuid>,
    articles: BTreeSet<Uuid>,
    sources: BTreeSet<Uuid>,
}

impl Targets {
    /// What `events` touch: a claim's document holds its verdicts' summaries, its
    /// speaker's name and its first article's language, so changes to those reach it.
    async fn of(
        db: &impl ConnectionTrait,
        events: &[outbox_event::Model],
    ) -> Result<Self, AppError> {
        let mut targets = Self::default();
        let (mut renamed_sources, mut changed_articles) = (Vec::new(), Vec::new());
        for event in events {
            match event.entity_type.as_str() {
                "claim" => {
                    targets.claims.insert(event.entity_id);
                }
                "verification" | "appearance" => targets.claims.extend(event.claim_id),
                "source" => {
                    targets.sources.insert(event.entity_id);
                    if event.operation != "created" {
                        renamed_sources.push(event.entity_id);
                    }
                }
                "article" => {
                    targets.articles.insert(event.entity_id);
                    if event.operation != "created" {
                        changed_articles.push(event.entity_id);
                    }
                }
                _ => {}
            }
        }
        for chunk in renamed_sources.chunks(CHUNK) {
            let spoken: Vec<Uuid> = claim::Entity::find()
                .select_only()
                .column(claim::Column::Id)
                .filter(claim::Column::SpeakerId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            targets.claims.extend(spoken);
        }
        for chunk in changed_articles.chunks(CHUNK) {
            let appearing: Vec<Uuid> = appearance::Entity::find()
                .select_only()
                .column(appearance::Column::ClaimId)
                .filter(appearance::Column::ArticleId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            targets.claims.extend(appearing);
        }
        Ok(targets)
    }
}

/// Documents to write, and records that no longer exist (their documents go).
struct Documents {
    /// When the records were read: a document only replaces one read earlier.
    read_at: DateTime<Utc>,
    upsert: Vec<search_document::ActiveModel>,
    gone: Vec<Uuid>,
}

fn document(
    read_at: DateTime<Utc>,
    kind: SearchKind,
    id: Uuid,
    language: Option<&str>,
    title: String,
    detail: String,
    body: String,
) -> search_document::ActiveModel {
    search_document::ActiveModel {
        entity_id: Set(id),
        kind: Set(kind),
        language: Set(language_code(language).to_owned()),
        title_terms: Set(terms(&title, language)),
        detail_terms: Set(terms(&detail, language)),
        body_terms: Set(terms(&body, language)),
        title: Set(title),
        detail: Set(detail),
        body: Set(body),
        indexed_at: Set(read_at),
    }
}

/// Joins the non-empty parts with line breaks.
fn lines<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Documents {
    async fn build(db: &impl ConnectionTrait, targets: &Targets) -> Result<Self, AppError> {
        let mut documents = Self {
            read_at: now(),
            upsert: Vec::new(),
            gone: Vec::new(),
        };
        let claims: Vec<Uuid> = targets.claims.iter().copied().collect();
        for chunk in claims.chunks(CHUNK) {
            documents.claims(db, chunk).await?;
        }
        let articles: Vec<Uuid> = targets.articles.iter().copied().collect();
        for chunk in articles.chunks(CHUNK) {
            documents.articles(db, chunk).await?;
        }
        let sources: Vec<Uuid> = targets.sources.iter().copied().collect();
        for chunk in sources.chunks(CHUNK) {
            documents.sources(db, chunk).await?;
        }
        Ok(documents)
    }

    /// Claims: text and quote; speaker, subject and measure; the summaries of their
    /// standing (unretracted) verdicts. Stemmed in their language, else in that of the
    /// first article they appeared in.
    async fn claims(&mut self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
        let claims = claim::Entity::find()
            .filter(claim::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let speaker_ids: HashSet<Uuid> = claims.iter().filter_map(|c| c.speaker_id).collect();
        let speakers: HashMap<Uuid, String> = source::Entity::find()
            .select_only()
            .columns([source::Column::Id, source::Column::Name])
            .filter(source::Column::Id.is_in(speaker_ids))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        // The summaries of the verdicts that stand (not retracted), oldest first: only
        // the columns needed, the retracted ones left out by the database.
        let standing: Vec<(Uuid, String)> = verification::Entity::find()
            .select_only()
            .columns([verification::Column::ClaimId, verification::Column::Summary])
            .filter(verification::Column::ClaimId.is_in(ids.iter().copied()))
            .filter(
                verification::Column::Id.not_in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(retraction::Column::VerificationId)
                        .from(retraction::Entity)
                        .to_owned(),
                ),
            )
            .order_by_asc(verification::Column::CreatedAt)
            .order_by_asc(verification::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let mut summaries: HashMap<Uuid, Vec<&str>> = HashMap::new();
        for (claim_id, summary) in &standing {
            summaries.entry(*claim_id).or_default().push(summary);
        }
        let appearances: Vec<(Uuid, Uuid)> = appearance::Entity::find()
            .select_only()
            .columns([appearance::Column::ClaimId, appearance::Column::ArticleId])
            .filter(appearance::Column::ClaimId.is_in(ids.iter().copied()))
            .order_by_asc(appearance::Column::CreatedAt)
            .order_by_asc(appearance::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let mut first_article: HashMap<Uuid, Uuid> = HashMap::new();
        for (claim_id, article_id) in appearances {
            first_article.entry(claim_id).or_insert(article_id);
        }
        let languages: HashMap<Uuid, Option<String>> = article::Entity::find()
            .select_only()
            .columns([article::Column::Id, article::Column::Language])
            .filter(article::Column::Id.is_in(first_article.values().copied()))
            .into_tuple::<(Uuid, Option<String>)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let found: HashSet<Uuid> = claims.iter().map(|c| c.id).collect();
        self.gone
            .extend(ids.iter().filter(|id| !found.contains(id)));
        for c in &claims {
            // Its own language, else its first article's.
            let language = c.language.as_deref().or_else(|| {
                first_article
                    .get(&c.id)
                    .and_then(|a| languages.get(a))
                    .and_then(Option::as_deref)
            });
            let quote = c.quote.as_deref().filter(|q| !same_words(q, &c.text));
            let speaker = c
                .speaker_id
                .and_then(|s| speakers.get(&s))
                .map(String::as_str);
            let summaries = summaries.get(&c.id).map(|s| s.join("\n\n"));
            self.upsert.push(document(
                self.read_at,
                SearchKind::Claim,
                c.id,
                language,
                lines([Some(c.text.as_str()), quote]),
                lines([speaker, c.subject.as_deref(), c.measure.as_deref()]),
                summaries.unwrap_or_default(),
            ));
        }
        Ok(())
    }

    /// Articles: title; outlet; body, in the article's language.
    async fn articles(&mut self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
        let articles = article::Entity::find()
            .filter(article::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let outlets: HashMap<Uuid, String> = source::Entity::find()
            .select_only()
            .columns([source::Column::Id, source::Column::Name])
            .filter(source::Column::Id.is_in(articles.iter().filter_map(|a| a.outlet_id)))
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let found: HashSet<Uuid> = articles.iter().map(|a| a.id).collect();
        self.gone
            .extend(ids.iter().filter(|id| !found.contains(id)));
        for a in articles {
            let outlet = a.outlet_id.and_then(|o| outlets.get(&o)).cloned();
            self.upsert.push(document(
                self.read_at,
                SearchKind::Article,
                a.id,
                a.language.as_deref(),
                a.title,
                outlet.unwrap_or_default(),
                a.body,
            ));
        }
        Ok(())
    }

    /// Sources: name; aliases; description.
    async fn sources(&mut self, db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
        let sources = source::Entity::find()
            .filter(source::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        let found: HashSet<Uuid> = sources.iter().map(|s| s.id).collect();
        self.gone
            .extend(ids.iter().filter(|id| !found.contains(id)));
        for s in sources {
            let aliases: Vec<String> =
                serde_json::from_value(s.aliases.clone()).unwrap_or_default();
            self.upsert.push(document(
                self.read_at,
                SearchKind::Source,
                s.id,
                None,
                s.name,
                aliases.join("\n"),
                s.description.unwrap_or_default(),
            ));
        }
        Ok(())
    }

    /// Writes the documents (in `db`, the caller's transaction).
    async fn write(self, db: &impl ConnectionTrait) -> Result<(), AppError> {
        use search_document::Column as C;
        // 11 parameters a row: well under both databases' limits.
        for chunk in self.upsert.chunks(CHUNK) {
            search_document::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(C::EntityId)
                        .update_columns([
                            C::Kind,
                            C::Language,
                            C::Title,
                            C::Detail,
                            C::Body,
                            C::TitleTerms,
                            C::DetailTerms,
                            C::BodyTerms,
                            C::IndexedAt,
                        ])
                        // A rebuild and a catch-up may index one record at once: the
                        // later read wins.
                        .action_and_where(
                            Expr::col((search_document::Entity, C::IndexedAt))
                                .lte(Expr::cust("excluded.indexed_at")),
                        )
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        for chunk in self.gone.chunks(CHUNK) {
            search_document::Entity::delete_many()
                .filter(C::EntityId.is_in(chunk.iter().copied()))
                .exec(db)
                .await?;
        }
        Ok(())
    }
}

/// Indexes the changes committed since the index last looked, until it has seen every
/// settled event; returns how many events it took. Any number of instances may call it
/// at once: documents are read first, then written in the transaction that checks and
/// moves the cursor, and a pass that finds the cursor moved starts again from there.
pub async fn catch_up(db: &impl Db) -> Result<usize, AppError> {
    let mut taken = 0;
    loop {
        let Some(position) = outbox::cursor(db, CURSOR, false).await? else {
            start(db).await?;
            continue;
        };
        let events = outbox::committed_after(db, position, BATCH).await?;
        let Some(last) = events.last() else {
            return Ok(taken);
        };
        let last = Position::from(last);
        let documents = Documents::build(db, &Targets::of(db, &events).await?).await?;
        let txn = begin_write(db).await?;
        if outbox::cursor(&txn, CURSOR, true).await? != Some(position) {
            // Another instance indexed these events meanwhile.
            continue;
        }
        documents.write(&txn).await?;
        outbox::advance_cursor(&txn, CURSOR, last).await?;
        // Index rows are not outbox events: a plain commit wakes nobody.
        sea_orm::TransactionSession::commit(txn).await?;
        taken += events.len();
        if events.len() < BATCH as usize {
            return Ok(taken);
        }
    }
}

/// Brings the documents of what was committed since the index's cursor up to date
/// before a search runs, so that a caller finds what it has just written, including
/// commits not yet settled (PostgreSQL: behind an older transaction still running). The
/// cursor is left to the background pass (`catch_up`), which indexes these again once
/// they settle: the later read wins. Bounded: with a backlog of `BATCH` events or more
/// (a burst of writes), the search runs on what is indexed and the background pass
/// catches up, rather than every concurrent search repeating the same work.
pub async fn freshen(db: &impl Db) -> Result<(), AppError> {
    let Some(position) = outbox::cursor(db, CURSOR, false).await? else {
        return start(db).await;
    };
    let events = outbox::visible_after(db, position, BATCH).await?;
    if events.is_empty() || events.len() >= BATCH as usize {
        return Ok(());
    }
    let documents = Documents::build(db, &Targets::of(db, &events).await?).await?;
    if documents.upsert.is_empty() && documents.gone.is_empty() {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    documents.write(&txn).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

/// Starts the index's cursor where the outbox stands, unless it exists (a new
/// database, or a release whose analysis changed), and then marks the records already
/// there for indexing by `rebuild` in the background: a large database starts serving at
/// once and is searchable as the rebuild proceeds. Applications call it before they
/// serve, so that no write's events come before the cursor.
pub async fn start(db: &impl Db) -> Result<(), AppError> {
    if outbox::cursor(db, CURSOR, false).await?.is_some() {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    let head = outbox::head(&txn).await?;
    for name in [CURSOR, REBUILD] {
        // Two instances starting at once: the second insert does nothing.
        outbox_cursor::Entity::insert(outbox_cursor::ActiveModel {
            name: Set(name.to_owned()),
            tx: Set(head.tx),
            seq: Set(head.seq),
            updated_at: Set(now()),
        })
        .on_conflict(
            OnConflict::column(outbox_cursor::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

/// Marks that the records stored before the cursor started still need indexing (a row
/// beside the cursors; removed when the rebuild is done, so a rebuild cut short runs
/// again).
const REBUILD: &str = "search.v1.rebuild";

/// Indexes every record, if `start` asked for it; returns how many it indexed. Changes
/// committed meanwhile are indexed by `catch_up` as usual; where both index one
/// record, the later read wins.
pub async fn rebuild(db: &impl Db) -> Result<usize, AppError> {
    if outbox::cursor(db, REBUILD, false).await?.is_none() {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut indexed = 0;
    for kind in SearchKind::ALL {
        let mut after: Option<Uuid> = None;
        loop {
            let ids = ids_after(db, *kind, after).await?;
            let Some(last) = ids.last().copied() else {
                break;
            };
            let mut targets = Targets::default();
            match kind {
                SearchKind::Claim => targets.claims.extend(&ids),
                SearchKind::Article => targets.articles.extend(&ids),
                SearchKind::Source => targets.sources.extend(&ids),
            }
            let documents = Documents::build(db, &targets).await?;
            let txn = begin_write(db).await?;
            documents.write(&txn).await?;
            sea_orm::TransactionSession::commit(txn).await?;
            indexed += ids.len();
            after = Some(last);
        }
    }
    outbox_cursor::Entity::delete_by_id(REBUILD.to_owned())
        .exec(db)
        .await?;
    tracing::info!(
        indexed,
        millis = started.elapsed().as_millis() as u64,
        "search index built"
    );
    Ok(indexed)
}

/// The next ids of `kind` in id order.
async fn ids_after(
    db: &impl ConnectionTrait,
    kind: SearchKind,
    after: Option<Uuid>,
) -> Result<Vec<Uuid>, AppError> {
    macro_rules! page {
        ($entity:ident) => {{
            let mut select = $entity::Entity::find()
                .select_only()
                .column($entity::Column::Id)
                .order_by_asc($entity::Column::Id)
                .limit(CHUNK as u64);
            if let Some(after) = after {
                select = select.filter($entity::Column::Id.gt(after));
            }
            select.into_tuple::<Uuid>().all(db).await?
        }};
    }
    Ok(match kind {
        SearchKind::Claim => page!(claim),
        SearchKind::Article => page!(article),
        SearchKind::Source => page!(source),
    })
}

/// How long the next pass waits after a wake-up, given what the last one took. A lone
/// write is indexed within a few milliseconds; under a stream of writes a pass takes the
/// events of a quarter second together, so the index costs a few passes a second
/// (each a dozen statements) instead of one per 20 ms beside every write. Searches do
/// not wait for it: they freshen the latest commits themselves (`freshen`).
fn coalescing(last_taken: usize) -> std::time::Duration {
    const STREAM: usize = 8;
    std::time::Duration::from_millis(if last_taken >= STREAM { 250 } else { 20 })
}

/// Follows the outbox for the index until the pool is closed: a pass whenever the
/// application's outbox reader has seen new events (`advanced`), and a slow safety pass.
pub async fn follow(
    db: DatabaseConnection,
    mut advanced: tokio::sync::watch::Receiver<()>,
    poll: std::time::Duration,
) {
    loop {
        if crate::db::is_closed(&db) {
            return;
        }
        advanced.borrow_and_update();
        if let Err(error) = rebuild(&db).await {
            tracing::warn!(%error, "building the search index failed; retrying");
        }
        let taken = catch_up(&db).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "updating the search index failed; retrying");
            0
        });
        tokio::select! {
            changed = advanced.changed() => {
                if changed.is_err() {
                    return;
                }
                tokio::time::sleep(coalescing(taken)).await;
            }
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
