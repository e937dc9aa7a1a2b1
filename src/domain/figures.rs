//! Figures about one quantity: the key that groups them across articles and sources, and
//! how each figure stands against the others (consistent, superseded, in conflict).

use std::cmp::Ordering;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::string_enum;

/// Figures whose moments lie closer together than this describe the same time: two
/// sources disagreeing within it are in conflict; a figure later than it supersedes.
pub fn conflict_window() -> TimeDelta {
    TimeDelta::hours(24)
}

/// How far an approximate value ("about 130") reaches either side of itself.
const APPROXIMATION: Decimal = Decimal::from_parts(1, 0, 0, false, 1); // 0.1

string_enum! {
    /// How a figure stands against the other figures about its quantity.
    FigureStatus {
        /// Its interval overlaps the best current figure.
        Consistent => "consistent",
        /// A later (or, at the same time and from the same source, better) figure differs.
        Superseded => "superseded",
        /// A different source gives a disjoint figure for the same time window.
        Conflict => "conflict",
    }
}

string_enum! {
    /// Why a conflict between two figures ended.
    ConflictResolution {
        /// A later figure moved the quantity's current time window past them.
        Superseded => "superseded",
        /// A checker judged one of them false or mostly false, or archived it.
        Refuted => "refuted",
        /// One of them was edited: the figures now agree, or one is about another quantity.
        Revised => "revised",
        /// One of the claims was deleted.
        Withdrawn => "withdrawn",
    }
}

/// Lowercase words without accents or punctuation.
fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().map(str::to_owned).collect()
}

/// The singular of a plain English plural ("deaths", "injuries", "losses").
fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies").filter(|s| s.len() > 1) {
        format!("{stem}y")
    } else if let Some(stem) = word.strip_suffix("sses") {
        format!("{stem}ss")
    } else if word.len() > 3
        && word.ends_with('s')
        && !["ss", "us", "is"].iter().any(|end| word.ends_with(end))
    {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    }
}

/// The measure's normal form: words for the same count share one ("killed", "dead",
/// "death toll" → "death"), and a plural counts as its singular.
fn normal_measure(measure: &str) -> Option<String> {
    let mut words = words(measure);
    let phrase = words.join(" ");
    let synonym = match phrase.as_str() {
        "dead" | "killed" | "death" | "deaths" | "death toll" | "toll" | "fatality"
        | "fatalities" | "people killed" | "people dead" | "lives lost" => Some("death"),
        "wounded" | "injured" | "injury" | "injuries" | "people injured" | "people wounded" => {
            Some("injury")
        }
        _ => None,
    };
    if let Some(synonym) = synonym {
        return Some(synonym.to_owned());
    }
    let last = words.pop()?;
    words.push(singular(&last));
    Some(words.join(" "))
}

/// The unit's normal form; counts of people carry none ("people", "persons").
pub fn unit_key(unit: Option<&str>) -> Option<String> {
    let unit = unit?.trim();
    if unit == "%" {
        return Some("percent".into());
    }
    let phrase = words(unit)
        .iter()
        .map(|w| singular(w))
        .collect::<Vec<_>>()
        .join(" ");
    match phrase.as_str() {
        "" | "people" | "person" | "individual" => None,
        "per cent" | "pct" => Some("percent".into()),
        "dollar" | "us dollar" | "usd" => Some("usd".into()),
        "euro" | "eur" => Some("eur".into()),
        _ => Some(phrase),
    }
}

/// The key grouping figures about one quantity: the normalised subject and measure, and
/// the unit when there is one (figures in different units are not compared). `None`
/// without a subject: "deaths" alone says nothing about which deaths.
pub fn quantity_key(
    subject: Option<&str>,
    measure: Option<&str>,
    unit: Option<&str>,
) -> Option<String> {
    let mut subject = words(subject?);
    if subject.len() > 1 && ["the", "a", "an"].contains(&subject[0].as_str()) {
        subject.remove(0);
    }
    let measure = normal_measure(measure?)?;
    if subject.is_empty() {
        return None;
    }
    let key = format!("{}:{measure}", subject.join(" "));
    Some(match unit_key(unit) {
        Some(unit) => format!("{key}:{unit}"),
        None => key,
    })
}

/// The values a figure allows; `None` ends are unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

impl Interval {
    /// The interval a stated figure allows: its bounds where given, else its value; an
    /// approximate value reaches 10 % either side ("about 130": 117 to 143).
    pub fn of(
        value: Option<Decimal>,
        lower: Option<Decimal>,
        upper: Option<Decimal>,
        approximate: bool,
    ) -> Self {
        let reach = match value {
            Some(v) if approximate => (v * APPROXIMATION).abs(),
            _ => Decimal::ZERO,
        };
        Interval {
            low: lower.or(value.map(|v| v - reach)).map(|d| d.normalize()),
            high: upper.or(value.map(|v| v + reach)).map(|d| d.normalize()),
        }
    }

    /// No value lies in both.
    pub fn disjoint(&self, other: &Interval) -> bool {
        let below =
            |a: &Interval, b: &Interval| matches!((a.high, b.low), (Some(h), Some(l)) if h < l);
        below(self, other) || below(other, self)
    }

    /// How wide it is; `None` when unbounded.
    fn width(&self) -> Option<Decimal> {
        Some(self.high? - self.low?)
    }
}

/// One figure, as assessment needs it.
#[derive(Clone, Debug)]
pub struct Figure {
    pub claim_id: Uuid,
    /// Who gives it: the claim's speaker, else the outlet that carried it.
    pub source_id: Option<Uuid>,
    pub interval: Interval,
    /// The moment it refers to.
    pub at: DateTime<Utc>,
    /// Judged false or mostly false, or archived: never the best figure, never in an
    /// open conflict.
    pub refuted: bool,
    /// Judged true (2) or mostly true (1); 0 otherwise.
    pub support: u8,
    pub recorded_at: DateTime<Utc>,
}

impl Figure {
    /// Different sources: unless both name the same one (an unknown source may be anyone).
    fn other_source(&self, other: &Figure) -> bool {
        self.source_id.is_none() || self.source_id != other.source_id
    }

    /// Which of two current figures stands: unrefuted, better supported, later, narrower,
    /// recorded first.
    fn stands_over(&self, other: &Figure) -> Ordering {
        let width = |f: &Figure| f.interval.width();
        (!self.refuted)
            .cmp(&!other.refuted)
            .then(self.support.cmp(&other.support))
            .then(self.at.cmp(&other.at))
            .then_with(|| match (width(self), width(other)) {
                (Some(a), Some(b)) => b.cmp(&a),
                (Some(_), None) => Ordering::Greater,
                (None, Some(_)) => Ordering::Less,
                (None, None) => Ordering::Equal,
            })
            .then(other.recorded_at.cmp(&self.recorded_at))
            .then(other.claim_id.cmp(&self.claim_id))
    }
}

/// How one figure stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub status: FigureStatus,
    /// The best current figure of its quantity.
    pub best: bool,
    /// Within the current time window (the latest figure's).
    pub current: bool,
    /// The figures of other sources it conflicts with.
    pub conflicts_with: Vec<Uuid>,
}

/// The one rule for two figures being in conflict: both in the current time window
/// (after `cutoff`), neither refuted (a refuted figure is settled), from different
/// sources, with disjoint intervals. Figures' standings and the conflict records both
/// follow it, so they always say the same.
fn in_conflict(f: &Figure, g: &Figure, cutoff: DateTime<Utc>) -> bool {
    f.at > cutoff
        && g.at > cutoff
        && !f.refuted
        && !g.refuted
        && f.other_source(g)
        && f.interval.disjoint(&g.interval)
}

/// The standing of each of `figures` (all about one quantity), in the same order.
pub fn assess(figures: &[Figure]) -> Vec<Standing> {
    let Some(latest) = figures.iter().map(|f| f.at).max() else {
        return Vec::new();
    };
    let cutoff = latest - conflict_window();
    let current = |f: &Figure| f.at > cutoff;
    let best = figures
        .iter()
        .filter(|f| current(f))
        .max_by(|a, b| a.stands_over(b));
    figures
        .iter()
        .map(|f| {
            let conflicts_with: Vec<Uuid> = figures
                .iter()
                .filter(|g| in_conflict(f, g, cutoff))
                .map(|g| g.claim_id)
                .collect();
            let status = if !conflicts_with.is_empty() {
                FigureStatus::Conflict
            } else if best.is_some_and(|b| !f.interval.disjoint(&b.interval)) {
                FigureStatus::Consistent
            } else {
                FigureStatus::Superseded
            };
            Standing {
                status,
                best: best.is_some_and(|b| b.claim_id == f.claim_id),
                current: current(f),
                conflicts_with,
            }
        })
        .collect()
}

/// At most this many open conflicts are kept per quantity: beyond a few sources a day,
/// more pairs say nothing new, and recording every pair of a flood of figures would make
/// each write slower than the last. Figures' statuses stay exact whatever the count.
pub const MAX_OPEN_CONFLICTS: usize = 100;

/// The conflicts checkers still have to settle: pairs of current figures from different
/// sources that disagree, neither refuted; each pair once, the smaller claim id first,
/// in order, at most `MAX_OPEN_CONFLICTS`.
pub fn open_conflicts(figures: &[Figure]) -> Vec<(Uuid, Uuid)> {
    let Some(latest) = figures.iter().map(|f| f.at).max() else {
        return Vec::new();
    };
    let cutoff = latest - conflict_window();
    let mut open: Vec<&Figure> = figures.iter().collect();
    open.sort_by_key(|f| f.claim_id);
    let mut pairs = Vec::new();
    for (i, f) in open.iter().enumerate() {
        for g in &open[i + 1..] {
            if in_conflict(f, g, cutoff) {
                pairs.push((f.claim_id, g.claim_id));
                if pairs.len() == MAX_OPEN_CONFLICTS {
                    return pairs;
                }
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 11, d, hour, 0, 0).unwrap()
    }

    fn dec(n: i64) -> Option<Decimal> {
        Some(Decimal::from(n))
    }

    fn figure(n: u128, source: u128, interval: Interval, at: DateTime<Utc>) -> Figure {
        Figure {
            claim_id: Uuid::from_u128(n),
            source_id: Some(Uuid::from_u128(1000 + source)),
            interval,
            at,
            refuted: false,
            support: 0,
            recorded_at: at,
        }
    }

    fn exactly(n: i64) -> Interval {
        Interval::of(dec(n), None, None, false)
    }

    fn statuses(figures: &[Figure]) -> Vec<FigureStatus> {
        assess(figures).into_iter().map(|s| s.status).collect()
    }

    #[test]
    fn keys_ignore_case_accents_articles_plurals_and_death_synonyms() {
        let key = |s, m, u| quantity_key(Some(s), Some(m), u);
        let expected = Some("paris attacks:death".to_owned());
        assert_eq!(key("The Paris attacks", "deaths", None), expected);
        assert_eq!(key("Paris  attacks.", "killed", Some("people")), expected);
        assert_eq!(key("paris attacks", "Death toll", None), expected);
        assert_eq!(
            key("Élysée budget", "costs", Some("Euros")).as_deref(),
            Some("elysee budget:cost:eur")
        );
        assert_eq!(
            key("unemployment", "rate", Some("%")).as_deref(),
            Some("unemployment:rate:percent")
        );
        assert_eq!(
            key("paris attacks", "injuries", None).as_deref(),
            Some("paris attacks:injury")
        );
        assert_eq!(quantity_key(None, Some("deaths"), None), None);
        assert_eq!(quantity_key(Some("!!"), Some("deaths"), None), None);
    }

    #[test]
    fn intervals_follow_bounds_values_and_hedges() {
        assert_eq!(
            Interval::of(None, dec(120), None, false),
            Interval {
                low: dec(120),
                high: None
            }
        );
        let about = Interval::of(dec(130), None, None, true);
        assert_eq!((about.low, about.high), (dec(117), dec(143)));
        assert!(!about.disjoint(&exactly(129)));
        assert!(exactly(129).disjoint(&exactly(130)));
        assert!(!Interval::of(None, dec(120), None, false).disjoint(&exactly(129)));
        assert!(Interval::of(None, None, dec(100), false).disjoint(&exactly(129)));
    }

    #[test]
    fn a_later_different_figure_supersedes_instead_of_conflicting() {
        let figures = [
            figure(1, 1, exactly(129), day(14, 12)),
            figure(2, 2, exactly(130), day(20, 12)),
        ];
        assert_eq!(
            statuses(&figures),
            [FigureStatus::Superseded, FigureStatus::Consistent]
        );
        assert!(open_conflicts(&figures).is_empty());
    }

    #[test]
    fn two_sources_disagreeing_the_same_day_conflict() {
        let figures = [
            figure(1, 1, exactly(129), day(14, 9)),
            figure(2, 2, exactly(150), day(14, 18)),
        ];
        assert_eq!(
            statuses(&figures),
            [FigureStatus::Conflict, FigureStatus::Conflict]
        );
        assert_eq!(
            open_conflicts(&figures),
            [(Uuid::from_u128(1), Uuid::from_u128(2))]
        );
    }

    #[test]
    fn a_lower_bound_below_the_figure_is_consistent_with_it() {
        let figures = [
            figure(1, 1, exactly(129), day(14, 9)),
            figure(2, 2, Interval::of(None, dec(120), None, false), day(14, 9)),
        ];
        assert_eq!(
            statuses(&figures),
            [FigureStatus::Consistent, FigureStatus::Consistent]
        );
        assert!(
            assess(&figures)[0].best,
            "the exact figure stands over the bound"
        );
    }

    #[test]
    fn one_source_revising_its_figure_the_same_day_supersedes_itself() {
        let figures = [
            figure(1, 1, exactly(127), day(14, 9)),
            figure(2, 1, exactly(129), day(14, 18)),
        ];
        assert_eq!(
            statuses(&figures),
            [FigureStatus::Superseded, FigureStatus::Consistent]
        );
    }

    #[test]
    fn a_refuted_figure_is_settled_in_its_standing_and_in_the_conflicts_alike() {
        let mut figures = [
            figure(1, 1, exactly(129), day(14, 9)),
            figure(2, 2, exactly(150), day(14, 18)),
        ];
        figures[1].refuted = true;
        let standings = assess(&figures);
        assert!(standings[0].best, "the refuted later figure does not stand");
        assert_eq!(standings[0].status, FigureStatus::Consistent);
        assert_eq!(standings[1].status, FigureStatus::Superseded);
        assert!(standings.iter().all(|s| s.conflicts_with.is_empty()));
        assert!(open_conflicts(&figures).is_empty());
    }

    #[test]
    fn a_flood_of_disagreeing_figures_keeps_a_bounded_number_of_conflicts() {
        let figures: Vec<Figure> = (0..40)
            .map(|n| figure(n, n, exactly(100 + n as i64), day(14, 9)))
            .collect();
        let pairs = open_conflicts(&figures);
        assert_eq!(pairs.len(), MAX_OPEN_CONFLICTS);
        assert!(pairs.windows(2).all(|w| w[0] < w[1]), "ordered, each once");
        let standings = assess(&figures);
        assert!(standings.iter().all(|s| s.conflicts_with.len() == 39));
    }
}
