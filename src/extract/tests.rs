use rust_decimal::Decimal;

use super::*;

const DEMO: &str = include_str!("../../examples/article-hollande-2015-11-17.txt");

/// The character span of the `nth` occurrence of `needle` in the demo article.
fn span_of(needle: &str) -> Span {
    let byte = DEMO.find(needle).unwrap();
    let start = DEMO[..byte].chars().count();
    Span {
        start,
        end: start + needle.chars().count(),
    }
}

fn text_at(span: Span) -> String {
    DEMO.chars()
        .skip(span.start)
        .take(span.end - span.start)
        .collect()
}

fn demo() -> Vec<Candidate> {
    extract(DEMO, &[])
}

fn quote<'a>(candidates: &'a [Candidate], starts: &str) -> &'a Candidate {
    candidates
        .iter()
        .find(|c| c.kind == ClaimKind::Quote && c.text.starts_with(starts))
        .unwrap_or_else(|| panic!("no quote starting {starts:?}"))
}

#[test]
fn the_demo_article_gives_the_three_hollande_quotes_with_their_spans() {
    let candidates = demo();
    let quotes: Vec<_> = candidates
        .iter()
        .filter(|c| c.kind == ClaimKind::Quote)
        .collect();
    assert_eq!(quotes.len(), 3, "{quotes:#?}");
    for q in &quotes {
        let speaker = q.speaker.as_ref().unwrap();
        assert_eq!(speaker.name, "Francois Hollande");
        assert_eq!(speaker.kind, SourceKind::Person);
        assert_eq!(
            speaker.source_id, None,
            "no stored sources: proposed as new"
        );
    }

    // Opened by a typographic mark and closed by a straight one.
    let war = quote(&candidates, "France is at war");
    assert_eq!(war.text, "France is at war");
    assert_eq!(war.span, span_of("“France is at war,\""));
    assert_eq!(
        war.setting.as_deref(),
        Some("a joint session of Parliament at the Palace of Versailles")
    );
    assert_eq!(war.rule, "quote.attribution_after");
    assert_eq!(war.speaker.as_ref().unwrap().mention, "Hollande");

    // Two sentences in one quotation; the speaker is "he", resolved to Hollande.
    let civilizations = quote(&candidates, "We're not engaged");
    assert_eq!(
        civilizations.text,
        "We're not engaged in a war of civilizations, because these assassins do not represent any. \
         We are in a war against jihadist terrorism which is threatening the whole world"
    );
    assert_eq!(
        civilizations.span,
        span_of(
            "“We're not engaged in a war of civilizations, because these assassins do not represent any. We are in a war against jihadist terrorism which is threatening the whole world,\""
        )
    );
    assert_eq!(civilizations.speaker.as_ref().unwrap().mention, "he");
    assert_eq!(
        civilizations.setting.as_deref(),
        Some("a packed, somber chamber")
    );

    let forces = quote(&candidates, "We must combine");
    assert_eq!(
        forces.span,
        span_of(
            "“We must combine our forces to achieve a result that is already too late in coming,\""
        )
    );
    assert_eq!(forces.setting, None);
}

#[test]
fn the_demo_article_gives_its_figures_with_bounds_and_spans() {
    let candidates = demo();
    let figures: Vec<_> = candidates
        .iter()
        .filter(|c| c.kind == ClaimKind::Quantity)
        .collect();
    assert_eq!(figures.len(), 2, "{figures:#?}");

    let deaths = figures[0];
    let q = deaths.quantity.as_ref().unwrap();
    assert_eq!(q.measure, "deaths");
    assert_eq!(q.value, Some(Decimal::from(129)));
    assert_eq!((q.lower, q.upper), (None, None));
    assert_eq!(
        q.subject.as_deref(),
        Some("the suicide bombings and shootings")
    );
    assert_eq!(deaths.figure_span, Some(span_of("killed 129")));
    assert!(text_at(deaths.span).starts_with("“France is at war,\" Hollande told"));
    assert!(text_at(deaths.span).ends_with("shootings that killed 129."));
    assert_eq!(deaths.rule, "figure.casualty");

    let bombing = figures[1];
    let q = bombing.quantity.as_ref().unwrap();
    assert_eq!(q.measure, "duration");
    assert_eq!(q.lower, Some(Decimal::ONE));
    assert_eq!((q.value, q.upper), (None, None));
    assert_eq!(q.unit.as_deref(), Some("year"));
    assert_eq!(bombing.figure_span, Some(span_of("for more than a year")));
    assert_eq!(
        bombing.span,
        span_of("The U.S.-led coalition has been bombing ISIS for more than a year.")
    );
}

#[test]
fn the_demo_article_gives_the_reported_statements_with_their_speakers() {
    let candidates = demo();
    let responsibility = candidates
        .iter()
        .find(|c| c.rule == "statement.responsibility")
        .unwrap();
    assert_eq!(responsibility.kind, ClaimKind::Event);
    let speaker = responsibility.speaker.as_ref().unwrap();
    assert_eq!(speaker.name, "Islamic State");
    assert_eq!(speaker.kind, SourceKind::Organization);
    assert_eq!(
        responsibility.span,
        span_of(
            "The Islamic State has claimed responsibility for Friday's coordinated attacks, saying they were in retaliation for France's involvement in U.S.-backed airstrikes in Iraq and Syria."
        )
    );

    let strikes = candidates
        .iter()
        .find(|c| {
            c.speaker
                .as_ref()
                .is_some_and(|s| s.name == "Western officials")
        })
        .unwrap();
    assert_eq!(strikes.kind, ClaimKind::Event);
    assert_eq!(strikes.speaker.as_ref().unwrap().kind, SourceKind::Group);
    assert_eq!(
        strikes.span,
        span_of(
            "Western officials say it has mainly hit foreign-backed fighters battling Syrian President Bashar Assad, not the Islamic State."
        )
    );
    assert_eq!(text_at(strikes.span), strikes.text);
}

#[test]
fn the_scare_quoted_anthem_and_the_dateline_are_not_claims() {
    let candidates = demo();
    assert!(
        !candidates
            .iter()
            .any(|c| c.text.contains("Marseillaise") && c.kind == ClaimKind::Quote)
    );
    assert!(
        !candidates
            .iter()
            .any(|c| c.text.contains("2015") || c.text.contains("16:01"))
    );
}

#[test]
fn stored_sources_are_matched_by_alias_and_by_surname() {
    let hollande = KnownSource {
        id: Uuid::now_v7(),
        kind: SourceKind::Person,
        name: "François Hollande".into(),
        aliases: vec![],
    };
    let isis = KnownSource {
        id: Uuid::now_v7(),
        kind: SourceKind::Organization,
        name: "ISIS".into(),
        aliases: vec!["Islamic State".into(), "ISIL".into()],
    };
    let candidates = extract(DEMO, &[hollande.clone(), isis.clone()]);
    let war = quote(&candidates, "France is at war");
    assert_eq!(war.speaker.as_ref().unwrap().source_id, Some(hollande.id));
    assert_eq!(war.speaker.as_ref().unwrap().name, "François Hollande");
    let responsibility = candidates
        .iter()
        .find(|c| c.rule == "statement.responsibility")
        .unwrap();
    assert_eq!(
        responsibility.speaker.as_ref().unwrap().source_id,
        Some(isis.id)
    );
}

#[test]
fn the_same_text_always_gives_the_same_candidates() {
    assert_eq!(demo(), demo());
}

#[test]
fn odd_input_gives_no_candidates_and_no_panic() {
    for text in [
        "",
        "\"",
        "“",
        "\" \" \" \"",
        "”unbalanced“ marks,\" he said.",
        "1,2,3,4 . . . 1.5.6 %% $ € $$5",
        "\n\n\n“\n\n“\n",
        "said said said he she it",
        "for more than a",
        "Between 5 and",
        "é“ü”ß\"",
    ] {
        let _ = extract(text, &[]);
    }
    assert!(extract("", &[]).is_empty());
}

/// Scores one annotated set, printing its table and what it got wrong.
fn scored(name: &str, json: &str) -> evaluation::Report {
    let passages: Vec<evaluation::Passage> = serde_json::from_str(json).unwrap();
    let report = evaluation::evaluate(&passages);
    println!("{name} ({} passages)\n{}", passages.len(), report.render());
    for line in report.misses.iter().chain(&report.false_alarms) {
        println!("  {line}");
    }
    report
}

#[test]
fn the_evaluation_sets_meet_the_targets_for_quotes_and_figures() {
    let development = scored(
        "development set",
        include_str!("../../tests/extraction/passages.json"),
    );
    let independent = scored(
        "independent set (written apart from the rules)",
        include_str!("../../tests/extraction/independent.json"),
    );
    for report in [development, independent] {
        for category in ["quotes (words and speaker)", "figures (value and bounds)"] {
            let score = report.score(category).unwrap();
            assert!(score.precision() >= 0.9, "{category}: {score:?}");
            assert!(score.recall() >= 0.8, "{category}: {score:?}");
        }
    }
}

#[test]
fn random_word_salad_never_panics_and_spans_stay_inside_the_text() {
    use rand::{RngExt, SeedableRng};
    const VOCABULARY: &[&str] = &[
        "“",
        "”",
        "\"",
        ",",
        ".",
        ":",
        "\n",
        "\n\n",
        "said",
        "told",
        "he",
        "she",
        "it",
        "they",
        "Hollande",
        "the",
        "French",
        "President",
        "officials",
        "Western",
        "more",
        "than",
        "at",
        "least",
        "nearly",
        "about",
        "up",
        "to",
        "a",
        "dozen",
        "two",
        "129",
        "1.5",
        "million",
        "%",
        "$",
        "for",
        "year",
        "killed",
        "people",
        "between",
        "and",
        "according",
        "claimed",
        "responsibility",
        "Islamic",
        "State",
        "U.S.",
        "é",
        "—",
        "or",
        "that",
        "were",
        "dead",
    ];
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..2000 {
        let len = rng.random_range(0..60);
        let text: Vec<&str> = (0..len)
            .map(|_| VOCABULARY[rng.random_range(0..VOCABULARY.len())])
            .collect();
        let text = text.join(" ");
        let chars = text.chars().count();
        for c in extract(&text, &[]) {
            assert!(
                c.span.start < c.span.end && c.span.end <= chars,
                "{text:?} {c:?}"
            );
            if let Some(f) = c.figure_span {
                assert!(f.start < f.end && f.end <= chars, "{text:?} {c:?}");
            }
        }
    }
}
