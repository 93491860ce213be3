//! What the account pages and the account handlers share: the signed-in user, API tokens as the
//! settings page lists them, and the codes of the problems an account form can come back with.
//! Compiled for the browser too.

use crate::domain::{Timestamp, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in user, as the pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// What an API token may do: `Read` only reads (any change answers 403); `Write`, the default,
/// may also change what its owner may change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    Read,
    #[default]
    Write,
}

impl TokenScope {
    /// How it is written: in the database, on the command line and in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [TokenScope::Read, TokenScope::Write]
            .into_iter()
            .find(|scope| scope.as_str() == raw)
    }

    /// As the settings page says it.
    pub fn describe(self) -> &'static str {
        match self {
            TokenScope::Read => "Read only",
            TokenScope::Write => "Read and write",
        }
    }
}

/// The longest a new token may live, in days (ten years).
pub const MAX_TOKEN_DAYS: u16 = 3650;

/// The lifetimes the settings form offers, in days; `None` never expires (the default).
pub const TOKEN_LIFETIMES: [Option<u16>; 4] = [None, Some(30), Some(90), Some(365)];

/// An API token in the settings list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: Uuid,
    pub label: String,
    pub scope: TokenScope,
    pub created_at: Timestamp,
    /// `None`: it never expires.
    pub expires_at: Option<Timestamp>,
    /// Past its expiry when the page was made.
    pub expired: bool,
    /// When it was last used (noted at most once a minute); `None`: never.
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
}

/// A token just created, shown on the next settings page and never again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub label: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub user: SignedInUser,
    pub tokens: Vec<TokenRow>,
    pub new_token: Option<NewToken>,
}

/// A member of the signed-in user's workspace, on the team page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMemberRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub owner: bool,
    pub joined_at: Timestamp,
}

/// An invitation that can still be accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenInvitationRow {
    pub id: Uuid,
    pub email: String,
    pub invited_by: String,
    pub expires_at: Timestamp,
}

/// The team page: the workspace, its members and open invitations, and a link just created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub me: SignedInUser,
    pub workspace: String,
    pub i_own: bool,
    pub members: Vec<TeamMemberRow>,
    pub invitations: Vec<OpenInvitationRow>,
    /// Shown once, right after it was created: (email, link).
    /// Links just created (email, link), shown once.
    pub new_links: Vec<(String, String)>,
}

/// What an invitation link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationState {
    Open,
    Used,
    Revoked,
    Expired,
    Unknown,
}

/// The invitation page: whose workspace, for which email, and who is looking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub state: InvitationState,
    pub workspace: String,
    pub invited_by: String,
    pub email: String,
    pub signed_in: Option<SignedInUser>,
}

/// Why an account form was sent back. Only the code travels in the URL (`?error=`), never free text,
/// so no link can put its own words on our pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    WrongCredentials,
    TooManyAttempts,
    InvalidEmail,
    InvalidName,
    ShortPassword,
    EmailTaken,
    InvalidLabel,
    TokenChoice,
    UnknownToken,
    TooManySignUps,
    SignUpNotSignedIn,
    Server,
    NotOwner,
    InvalidWorkspaceName,
    AlreadyMember,
    NotMember,
    UnknownInvitation,
    InvitationClosed,
    InvitationForAnotherEmail,
    AlreadyInWorkspace,
    Alone,
    WrongPassword,
    TooManyInvites,
}

impl FormProblem {
    const ALL: [FormProblem; 23] = [
        FormProblem::WrongCredentials,
        FormProblem::TooManyAttempts,
        FormProblem::InvalidEmail,
        FormProblem::InvalidName,
        FormProblem::ShortPassword,
        FormProblem::EmailTaken,
        FormProblem::InvalidLabel,
        FormProblem::TokenChoice,
        FormProblem::UnknownToken,
        FormProblem::TooManySignUps,
        FormProblem::SignUpNotSignedIn,
        FormProblem::Server,
        FormProblem::NotOwner,
        FormProblem::InvalidWorkspaceName,
        FormProblem::AlreadyMember,
        FormProblem::NotMember,
        FormProblem::UnknownInvitation,
        FormProblem::InvitationClosed,
        FormProblem::InvitationForAnotherEmail,
        FormProblem::AlreadyInWorkspace,
        FormProblem::Alone,
        FormProblem::WrongPassword,
        FormProblem::TooManyInvites,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FormProblem::WrongCredentials => "credentials",
            FormProblem::TooManyAttempts => "locked",
            FormProblem::InvalidEmail => "email",
            FormProblem::InvalidName => "name",
            FormProblem::ShortPassword => "password",
            FormProblem::EmailTaken => "taken",
            FormProblem::InvalidLabel => "label",
            FormProblem::TokenChoice => "token-choice",
            FormProblem::UnknownToken => "token",
            FormProblem::TooManySignUps => "sign-ups",
            FormProblem::SignUpNotSignedIn => "created",
            FormProblem::Server => "server",
            FormProblem::NotOwner => "owner",
            FormProblem::InvalidWorkspaceName => "workspace",
            FormProblem::AlreadyMember => "member",
            FormProblem::NotMember => "not-member",
            FormProblem::UnknownInvitation => "invitation",
            FormProblem::InvitationClosed => "closed",
            FormProblem::InvitationForAnotherEmail => "other-email",
            FormProblem::AlreadyInWorkspace => "joined",
            FormProblem::Alone => "alone",
            FormProblem::WrongPassword => "current-password",
            FormProblem::TooManyInvites => "invites",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|problem| problem.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            FormProblem::WrongCredentials => "The email or password is wrong.",
            FormProblem::TooManyAttempts => "Too many failed sign-in attempts.",
            FormProblem::InvalidEmail => "Enter an email address like name@company.com.",
            FormProblem::InvalidName => "Enter your name (up to 200 characters).",
            FormProblem::ShortPassword => "Use at least 8 characters.",
            FormProblem::EmailTaken => {
                "An account with this email already exists. Sign in instead."
            }
            FormProblem::InvalidLabel => "Enter a label of up to 100 characters.",
            FormProblem::TokenChoice => "Choose the token's access and expiry from the lists.",
            FormProblem::UnknownToken => "That token does not exist or is already revoked.",
            FormProblem::TooManySignUps => "Too many accounts were created from your network.",
            FormProblem::SignUpNotSignedIn => {
                "Your account was created, but you could not be signed in. Please sign in."
            }
            FormProblem::Server => "Something went wrong on our side. Please try again.",
            FormProblem::NotOwner => "Only the workspace's owner can do this.",
            FormProblem::InvalidWorkspaceName => "Enter a workspace name of up to 100 characters.",
            FormProblem::AlreadyMember => "That person is already a member of your workspace.",
            FormProblem::NotMember => "That person is not a member of your workspace.",
            FormProblem::UnknownInvitation => "That invitation does not exist or is no longer open.",
            FormProblem::InvitationClosed => {
                "This invitation has expired, was revoked or was already used. Ask for a new one."
            }
            FormProblem::InvitationForAnotherEmail => {
                "This invitation is for another email address. Sign in with the invited email to accept it."
            }
            FormProblem::AlreadyInWorkspace => "You are already a member of this workspace.",
            FormProblem::Alone => "You are the only member: there is no one to leave.",
            FormProblem::WrongPassword => "Your current password is wrong.",
            FormProblem::TooManyInvites => "Invite at most 20 people at a time.",
        }
    }

    /// The input the problem is about; `None` for the form as a whole.
    pub fn field(self) -> Option<&'static str> {
        match self {
            FormProblem::InvalidEmail
            | FormProblem::EmailTaken
            | FormProblem::AlreadyMember
            | FormProblem::TooManyInvites => Some("email"),
            FormProblem::InvalidWorkspaceName => Some("workspace-name"),
            FormProblem::InvalidName => Some("name"),
            FormProblem::ShortPassword => Some("password"),
            FormProblem::InvalidLabel => Some("label"),
            FormProblem::WrongPassword => Some("current-password"),
            _ => None,
        }
    }
}

/// Percent-encodes a query value the same way on the server and in the browser (so hydration
/// matches): everything but ASCII letters, digits and `-._~`.
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scopes_are_read_or_write_and_write_by_default() {
        for scope in [TokenScope::Read, TokenScope::Write] {
            assert_eq!(TokenScope::parse(scope.as_str()), Some(scope));
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
        }
        assert_eq!(TokenScope::default(), TokenScope::Write);
        for bad in ["", "Read", "admin", "read "] {
            assert_eq!(TokenScope::parse(bad), None, "{bad:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_command_line_names_scopes_as_stored() {
        use clap::ValueEnum;
        for scope in TokenScope::value_variants() {
            let name = scope.to_possible_value().unwrap();
            assert_eq!(name.get_name(), scope.as_str());
        }
    }
}
