//! `closed_set!`: an enum whose members each have one fixed text (as stored, sent or typed), with
//! `ALL`, `as_str` and `parse` written once instead of by hand for every such set.

/// Defines the enum as written, each member given its text as `Member = "text"`, and on it:
/// `ALL` (every member, in the order written), `as_str` (the member's text) and `parse` (the
/// member whose text it is; `None` for anything else). Every closed set is `Debug, Clone, Copy,
/// PartialEq, Eq` (derived here); a declaration derives only what else it needs.
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$member_meta:meta])* $member:ident = $text:literal),+ $(,)?
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $(#[$meta])*
        $vis enum $name {
            $($(#[$member_meta])* $member,)+
        }

        impl $name {
            /// Every member, in the order written.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$member),+];

            /// Its text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$member => $text,)+
                }
            }

            /// The member whose text is `raw`.
            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|member| member.as_str() == raw)
            }
        }
    };
}

pub(crate) use closed_set;
