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
    /// Whether a claim in this status may be moved to `next` by hand.
    ///
    /// `unreviewed → in_review → reviewed`, and any status → `archived`.
    /// Staying in the same status is allowed (a no-op edit).
    pub fn can_move_to(self, next: ClaimStatus) -> bool {
        use ClaimStatus::*;
        self == next
            || next == Archived
            || matches!((self, next), (Unreviewed, InReview) | (InReview, Reviewed))
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimStatus::{self, *};

    #[test]
    fn the_workflow_moves_forward_one_step_at_a_time() {
        assert!(Unreviewed.can_move_to(InReview));
        assert!(InReview.can_move_to(Reviewed));
        assert!(!Unreviewed.can_move_to(Reviewed));
        assert!(!Reviewed.can_move_to(InReview));
        assert!(!Reviewed.can_move_to(Unreviewed));
        assert!(!InReview.can_move_to(Unreviewed));
    }

    #[test]
    fn any_status_can_be_archived_and_archived_is_final() {
        for status in ClaimStatus::ALL {
            assert!(status.can_move_to(Archived), "{status}");
        }
        for next in [Unreviewed, InReview, Reviewed] {
            assert!(!Archived.can_move_to(next), "{next}");
        }
    }
}
