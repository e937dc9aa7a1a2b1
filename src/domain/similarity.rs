//! "Checked before?": how likely an existing claim is the same claim as a new text. A
//! lexical method: the texts' content words (stemmed, folded, without function words),
//! weighted by how rare they are among the claims compared, with figures and negation
//! kept in view (a claim that 130 died is not the claim that 129 died, and "X is not at
//! war" is not "X is at war", however many words they share).

use std::collections::{HashMap, HashSet};

use super::search::{fold, tokens};

/// Function words of the languages the service stems: they say nothing about which
/// claim a text makes.
const STOPWORDS: &[&str] = &[
    // English
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "then",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "by",
    "with",
    "as",
    "into",
    "onto",
    "about",
    "over",
    "after",
    "before",
    "since",
    "during",
    "than",
    "that",
    "this",
    "these",
    "those",
    "it",
    "its",
    "he",
    "she",
    "they",
    "them",
    "his",
    "her",
    "their",
    "we",
    "our",
    "us",
    "you",
    "your",
    "i",
    "me",
    "my",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "has",
    "have",
    "had",
    "do",
    "does",
    "did",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "said",
    "says",
    "say",
    "saying",
    "told",
    "according",
    "also",
    "which",
    "who",
    "whom",
    "whose",
    "what",
    "when",
    "where",
    "while",
    "there",
    "here",
    "so",
    "such",
    "some",
    "any",
    "all",
    "more",
    "most",
    "other",
    "up",
    "out",
    "s",
    "t",
    "just",
    "only",
    "very",
    "per",
    "cent",
    // French
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "ou",
    "en",
    "au",
    "aux",
    "que",
    "qui",
    "est",
    "sont",
    "a",
    "ont",
    "il",
    "elle",
    "ils",
    "elles",
    "nous",
    "vous",
    "pour",
    "par",
    "sur",
    "dans",
    "avec",
    "ce",
    "cette",
    "ces",
    "son",
    "sa",
    "ses",
    "leur",
    "leurs",
    "l",
    "d",
    "qu",
    "se",
];

/// Words that turn a statement into its denial.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "denied",
    "denies", "deny", "ne", "pas", "jamais", "aucun", "aucune", "sans", "nie",
];

/// Abbreviations written out, so that "Feb." and "February" are one word.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("jan", "january"),
    ("feb", "february"),
    ("mar", "march"),
    ("apr", "april"),
    ("jun", "june"),
    ("jul", "july"),
    ("aug", "august"),
    ("sep", "september"),
    ("sept", "september"),
    ("oct", "october"),
    ("nov", "november"),
    ("dec", "december"),
    ("km", "kilometers"),
    ("pct", "percent"),
];

/// What a text says, for comparison: its content terms, its figures and whether it
/// denies.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub terms: HashSet<String>,
    pub figures: HashSet<String>,
    pub negated: bool,
}

fn is_figure(term: &str) -> bool {
    term.chars().any(|c| c.is_ascii_digit()) && term.chars().all(|c| c.is_ascii_digit() || c == '.')
}

impl Profile {
    /// The profile of `text` in `language` (see `search::stemmer_for`).
    pub fn of(text: &str, language: Option<&str>) -> Self {
        let mut terms = HashSet::new();
        let mut figures = HashSet::new();
        let lowered = text.to_lowercase();
        let mut negated = lowered.contains("n't") || lowered.contains("n’t");
        for token in tokens(text, language) {
            let word = fold(&text[token.start..token.end]);
            if NEGATIONS.contains(&word.as_str()) {
                negated = true;
                continue;
            }
            if STOPWORDS.contains(&word.as_str()) || word.chars().count() < 2 && !is_figure(&word) {
                continue;
            }
            if is_figure(&token.term) {
                figures.insert(token.term.clone());
            }
            let written_out = ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == word)
                .and_then(|(_, long)| tokens(long, language).pop());
            terms.insert(written_out.map_or(token.term, |t| t.term));
        }
        Self {
            terms,
            figures,
            negated,
        }
    }
}

/// How much a figure counts beside a word: a figure names the claim more than any word.
const FIGURE_WEIGHT: f64 = 2.0;
/// Kept of the score when both texts give figures and none agree.
const OTHER_FIGURES: f64 = 0.55;
/// Kept of the score when one text denies what the other asserts.
const OTHER_POLARITY: f64 = 0.6;

/// Scores `query` against each of `candidates` (the claims it is compared with), in
/// `[0, 1]`: a cosine over their terms, each term weighted by its rarity among the
/// candidates (a word every claim shares tells them apart from none), figures weighted
/// up; then discounted when the figures disagree or one text denies the other.
pub fn scores(query: &Profile, candidates: &[Profile]) -> Vec<f64> {
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for candidate in candidates {
        for term in &candidate.terms {
            *frequency.entry(term.as_str()).or_default() += 1;
        }
    }
    let n = candidates.len().max(1) as f64;
    let weight = |term: &str| {
        let df = frequency.get(term).copied().unwrap_or(0) as f64;
        let rarity = (1.0 + n / (1.0 + df)).ln();
        if is_figure(term) {
            rarity * FIGURE_WEIGHT
        } else {
            rarity
        }
    };
    let norm =
        |terms: &HashSet<String>| terms.iter().map(|t| weight(t).powi(2)).sum::<f64>().sqrt();
    let query_norm = norm(&query.terms);
    candidates
        .iter()
        .map(|candidate| {
            let shared: f64 = query
                .terms
                .intersection(&candidate.terms)
                .map(|t| weight(t).powi(2))
                .sum();
            let denominator = query_norm * norm(&candidate.terms);
            if denominator == 0.0 {
                return 0.0;
            }
            let mut score = shared / denominator;
            if !query.figures.is_empty()
                && !candidate.figures.is_empty()
                && query.figures.is_disjoint(&candidate.figures)
            {
                score *= OTHER_FIGURES;
            }
            if query.negated != candidate.negated {
                score *= OTHER_POLARITY;
            }
            score.clamp(0.0, 1.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(query: &str, claims: &[&str]) -> Vec<(usize, f64)> {
        let profiles: Vec<Profile> = claims.iter().map(|c| Profile::of(c, None)).collect();
        let scores = scores(&Profile::of(query, None), &profiles);
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }

    #[test]
    fn a_paraphrase_finds_its_claim_first() {
        let claims = [
            "The suicide bombings and shootings in Paris killed 129",
            "The attacks in Paris injured 352 people",
            "France is at war",
        ];
        let ranked = ranked(
            "129 people were killed in the Paris shootings and bombings",
            &claims,
        );
        assert_eq!(ranked[0].0, 0, "{ranked:?}");
        assert!(ranked[0].1 > 0.5, "{ranked:?}");
    }

    #[test]
    fn other_figures_and_denials_count_against_a_match() {
        let claims = [
            "The attacks killed 129 people",
            "The attacks killed 130 people",
        ];
        let by_figure = ranked("The attacks killed 130 people", &claims);
        assert_eq!(by_figure[0].0, 1, "{by_figure:?}");
        assert!(by_figure[1].1 < by_figure[0].1 * 0.6, "{by_figure:?}");
        let claims = ["France is at war", "France is not at war"];
        assert_eq!(ranked("France isn't at war", &claims)[0].0, 1);
        assert_eq!(ranked("France is at war with terrorism", &claims)[0].0, 0);
    }

    #[test]
    fn nothing_in_common_scores_zero() {
        assert_eq!(
            ranked("Hospitals are full", &["France is at war"])[0].1,
            0.0
        );
        assert_eq!(ranked("the of and", &["France is at war"])[0].1, 0.0);
    }
}
