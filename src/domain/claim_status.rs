//! The workflow status of a claim and its allowed transitions.

use super::string_enum;

string_enum! {
    /// Where a claim is in the checking workflow.
    ClaimStatus {
        /// Recorded, nobody has started checking it.
        Unreviewed => "unreviewed",
        /// A checker is working on it.
        InReview => "in_review",
        /// At least one verification has been recorded.
        Reviewed => "reviewed",
        /// Set aside; kept for history.
        Archived => "archived",
    }
}

impl ClaimStatus {
    /// Whether a claim in this status may be moved to `next` by hand, and if not, why.
    /// `verdict_stands`: whether the claim has a verdict that has not been retracted.
    ///
    /// - `unreviewed → in_review → reviewed`, one step at a time; `reviewed` only while a
    ///   verdict stands (recording one moves the claim there by itself);
    /// - any status → `archived`;
    /// - `archived` → `unreviewed` or `in_review` (or `reviewed`, while a verdict
    ///   stands): restoring an archived claim;
    /// - staying in the same status is allowed (a no-op edit).
    pub fn move_to(self, next: ClaimStatus, verdict_stands: bool) -> Result<(), String> {
        use ClaimStatus::*;
        if next == Reviewed && self != Reviewed && !verdict_stands {
            return Err(
                "a claim is reviewed only while a verdict stands: record a verification instead"
                    .into(),
            );
        }
        let allowed = self == next
            || next == Archived
            || self == Archived
            || matches!((self, next), (Unreviewed, InReview) | (InReview, Reviewed));
        if allowed {
            Ok(())
        } else {
            Err(format!("a claim cannot move from {self} to {next}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimStatus::{self, *};

    #[test]
    fn the_workflow_moves_forward_one_step_at_a_time() {
        assert!(Unreviewed.move_to(InReview, false).is_ok());
        assert!(InReview.move_to(Reviewed, true).is_ok());
        assert!(Unreviewed.move_to(Reviewed, true).is_err());
        assert!(Reviewed.move_to(InReview, true).is_err());
        assert!(Reviewed.move_to(Unreviewed, true).is_err());
        assert!(InReview.move_to(Unreviewed, false).is_err());
    }

    #[test]
    fn reviewed_needs_a_standing_verdict() {
        assert!(InReview.move_to(Reviewed, false).is_err());
        assert!(Archived.move_to(Reviewed, false).is_err());
        assert!(Archived.move_to(Reviewed, true).is_ok());
    }

    #[test]
    fn any_status_can_be_archived_and_archived_claims_can_be_restored() {
        for status in ClaimStatus::ALL {
            assert!(status.move_to(Archived, false).is_ok(), "{status}");
        }
        for next in [Unreviewed, InReview] {
            assert!(Archived.move_to(next, false).is_ok(), "{next}");
        }
    }
}
