//! Small value enums of the domain.

use super::string_enum;

string_enum! {
    /// What kind of thing a source is.
    SourceKind {
        /// A named person.
        Person => "person",
        /// A company, party, agency or armed group with a name.
        Organization => "organization",
        /// A publisher of articles.
        Outlet => "outlet",
        /// A government or one of its bodies.
        Government => "government",
        /// An unnamed group of people ("Western officials").
        Group => "group",
        /// A report, filing or other document.
        Document => "document",
        /// A published dataset.
        Dataset => "dataset",
    }
}

string_enum! {
    /// What kind of assertion a claim is.
    ClaimKind {
        /// Verbatim words attributed to a speaker.
        Quote => "quote",
        /// A number about something (deaths, money, duration).
        Quantity => "quantity",
        /// Something that happened or is said to have happened.
        Event => "event",
        /// Any other checkable assertion.
        Other => "other",
    }
}

string_enum! {
    /// How a piece of evidence bears on the claim.
    Stance {
        /// The evidence supports the claim.
        Supports => "supports",
        /// The evidence contradicts the claim.
        Contradicts => "contradicts",
        /// The evidence gives context without taking a side.
        Context => "context",
    }
}

string_enum! {
    /// Where a candidate claim stands.
    CandidateStatus {
        /// Proposed by extraction, not yet looked at.
        Open => "open",
        /// Accepted by a checker: a claim was created from it.
        Accepted => "accepted",
        /// Set aside by a checker.
        Dismissed => "dismissed",
    }
}
