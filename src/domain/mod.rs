//! Pure domain types and rules: no I/O, no framework beyond derive macros on value enums.

pub mod actor;
pub mod article_url;
pub mod claim_status;
pub mod enums;
pub mod figures;
pub mod quantity;
pub mod search;
pub mod similarity;
pub mod text;
pub mod verdict;

pub use actor::{Actor, Role};
pub use article_url::ArticleUrl;
pub use claim_status::ClaimStatus;
pub use enums::{CandidateStatus, ClaimKind, Priority, SourceKind, Stance};
pub use quantity::Quantity;
pub use text::{
    BoundedText, FieldError, NUL_MESSAGE, Validator, char_slice, html_escape, language_tag, locate,
    nul_path, same_words,
};
pub use verdict::Verdict;

/// Declares a value enum stored as a stable lower_snake_case string, with GraphQL
/// (SCREAMING_SNAKE items) and serde (snake_case) spellings derived from it.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, async_graphql::Enum, utoipa::ToSchema,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[serde(rename_all = "snake_case")]
        // Stored as its spelling; reading a value the enum does not have is an error,
        // never a silently different value.
        #[sea_orm(rs_type = "String", db_type = "Text")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable storage and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} '{}'", stringify!($name), other)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
