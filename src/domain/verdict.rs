//! Verdicts and their place on the ClaimReview rating scale.

use super::string_enum;

string_enum! {
    /// A checker's judgement of a claim.
    Verdict {
        /// Accurate (rating 5).
        True => "true",
        /// Accurate with minor problems (rating 4).
        MostlyTrue => "mostly_true",
        /// Partly accurate, partly not (rating 3).
        Mixed => "mixed",
        /// Mostly inaccurate (rating 2).
        MostlyFalse => "mostly_false",
        /// Inaccurate (rating 1).
        False => "false",
        /// Literally accurate but giving a false impression (no rating).
        Misleading => "misleading",
        /// Accurate words used in a context that changes their meaning (no rating).
        OutOfContext => "out_of_context",
        /// Cannot be established with the evidence available (no rating).
        Unproven => "unproven",
    }
}

impl Verdict {
    /// The schema.org ClaimReview rating (worst 1, best 5), if the verdict is on the scale.
    pub fn rating(self) -> Option<u8> {
        match self {
            Verdict::True => Some(5),
            Verdict::MostlyTrue => Some(4),
            Verdict::Mixed => Some(3),
            Verdict::MostlyFalse => Some(2),
            Verdict::False => Some(1),
            Verdict::Misleading | Verdict::OutOfContext | Verdict::Unproven => None,
        }
    }

    /// The human-readable label (ClaimReview `alternateName`).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::True => "True",
            Verdict::MostlyTrue => "Mostly true",
            Verdict::Mixed => "Mixed",
            Verdict::MostlyFalse => "Mostly false",
            Verdict::False => "False",
            Verdict::Misleading => "Misleading",
            Verdict::OutOfContext => "Out of context",
            Verdict::Unproven => "Unproven",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_verdicts_map_onto_one_to_five_with_higher_truer() {
        let table = [
            (Verdict::True, Some(5)),
            (Verdict::MostlyTrue, Some(4)),
            (Verdict::Mixed, Some(3)),
            (Verdict::MostlyFalse, Some(2)),
            (Verdict::False, Some(1)),
            (Verdict::Misleading, None),
            (Verdict::OutOfContext, None),
            (Verdict::Unproven, None),
        ];
        for (verdict, rating) in table {
            assert_eq!(verdict.rating(), rating, "{verdict}");
        }
    }

    #[test]
    fn every_verdict_round_trips_through_its_storage_spelling() {
        for verdict in Verdict::ALL {
            assert_eq!(verdict.as_str().parse::<Verdict>(), Ok(*verdict));
        }
        assert!("kinda_true".parse::<Verdict>().is_err());
    }
}
