//! What the account pages and the account handlers share: the signed-in user, API tokens as the
//! settings page lists them, and the codes of the problems an account form can come back with.
//! Compiled for the browser too.

use crate::domain::{closed_set, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in user, as the pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

closed_set! {
    /// What an API token may do: `Read` only reads (any change answers 403); `Write`, the default,
    /// may also change what its owner may change. Written as its text in the database, on the
    /// command line and in forms.
    #[derive(Default, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "ssr", derive(clap::ValueEnum))]
    #[serde(rename_all = "lowercase")]
    pub enum TokenScope {
        Read = "read",
        #[default]
        Write = "write",
    }
}

impl TokenScope {
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

/// An API token as its owner sees it on the settings page (never the token itself), as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub label: String,
    pub scope: TokenScope,
    pub created_at: Timestamp,
    /// `None`: it never expires.
    pub expires_at: Option<Timestamp>,
    /// When it was last used (noted at most once a minute); `None`: never.
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
}

/// An API token in the settings list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub token: ApiToken,
    /// Past its expiry when the page was made.
    pub expired: bool,
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

closed_set! {
    // Most powerful first: the order `ALL` and the pages offer them in.
    /// What a member may do in their workspace (README "Roles" has the table).
    #[derive(Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    #[serde(rename_all = "lowercase")]
    pub enum Role {
        /// Everything an admin does, and hands the workspace over. One per workspace.
        Owner = "owner",
        /// Invites, removes and sets roles (never the owner's); reads and changes every ICP of the
        /// workspace (the reference's "admin user").
        Admin = "admin",
        /// Creates ICPs and changes those shared with them.
        Member = "member",
        /// Reads the ICPs shared with them; changes nothing.
        Viewer = "viewer",
    }
}

impl Role {
    /// Invites, removes, sets roles and renames the workspace.
    pub fn manages(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// Creates, changes, deletes, restores, hands over and imports ICPs.
    pub fn writes(self) -> bool {
        self != Role::Viewer
    }

    /// How pages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }
}

/// Who may create an account (`SIGN_UP`): anyone, only the invited, or people with an email at
/// one of some domains (anyone else only when invited). `icp-builder users create` always works.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SignUpPolicy {
    #[default]
    Open,
    Invite,
    /// Lowercase domains, e.g. `acme.io`.
    Domains(Vec<String>),
}

impl SignUpPolicy {
    /// `open`, `invite`, or domains apart by commas (`acme.io,acme.de`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "open" => Ok(SignUpPolicy::Open),
            "invite" => Ok(SignUpPolicy::Invite),
            domains => {
                let domains: Vec<String> = domains
                    .split(',')
                    .map(|domain| domain.trim().trim_start_matches('@').to_ascii_lowercase())
                    .filter(|domain| !domain.is_empty())
                    .collect();
                let well_formed = |domain: &String| {
                    domain.contains('.')
                        && domain.len() <= 253
                        && domain
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                };
                if domains.is_empty() || !domains.iter().all(well_formed) {
                    Err(format!(
                        "expected open, invite or email domains apart by commas (acme.io,acme.de), got {raw:?}"
                    ))
                } else {
                    Ok(SignUpPolicy::Domains(domains))
                }
            }
        }
    }

    /// Whether `email` (already normalised) may sign up without an invitation.
    pub fn admits(&self, email: &str) -> bool {
        match self {
            SignUpPolicy::Open => true,
            SignUpPolicy::Invite => false,
            SignUpPolicy::Domains(domains) => email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domains.iter().any(|d| d.eq_ignore_ascii_case(domain))),
        }
    }
}

/// A member of the signed-in user's workspace, on the team page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMemberRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: Timestamp,
}

/// An invitation that can still be accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenInvitationRow {
    pub id: Uuid,
    pub email: String,
    pub invited_by: String,
    pub role: Role,
    pub expires_at: Timestamp,
}

/// The team page: the workspace, its members and open invitations, and a link just created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub me: SignedInUser,
    pub workspace: String,
    /// The signed-in user's role.
    pub my_role: Role,
    pub members: Vec<TeamMemberRow>,
    pub invitations: Vec<OpenInvitationRow>,
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
    NotManager,
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
    SignUpClosed,
    OwnerOnly,
    InvalidRole,
}

impl FormProblem {
    const ALL: [FormProblem; 26] = [
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
        FormProblem::NotManager,
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
        FormProblem::SignUpClosed,
        FormProblem::OwnerOnly,
        FormProblem::InvalidRole,
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
            FormProblem::NotManager => "manager",
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
            FormProblem::SignUpClosed => "sign-up-closed",
            FormProblem::OwnerOnly => "owner-only",
            FormProblem::InvalidRole => "role",
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
            FormProblem::NotManager => "Only the workspace's owner and admins can do this.",
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
            FormProblem::SignUpClosed => {
                "Accounts on this server are made by invitation: ask your team's owner or an admin to invite you."
            }
            FormProblem::OwnerOnly => {
                "Only the owner can hand the workspace over; the owner's role changes only that way."
            }
            FormProblem::InvalidRole => "Choose admin, member or viewer.",
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
    fn sign_up_policies_read_as_written_and_admit_their_domains_only() {
        assert_eq!(SignUpPolicy::parse("open"), Ok(SignUpPolicy::Open));
        assert_eq!(SignUpPolicy::parse("invite"), Ok(SignUpPolicy::Invite));
        let domains = SignUpPolicy::parse(" Acme.io, @acme.de ").unwrap();
        assert_eq!(
            domains,
            SignUpPolicy::Domains(vec!["acme.io".into(), "acme.de".into()])
        );
        assert!(domains.admits("ana@acme.io"));
        assert!(domains.admits("bo@ACME.DE"));
        assert!(!domains.admits("eve@notacme.io"));
        assert!(!domains.admits("eve@acme.io.evil.com"));
        assert!(!SignUpPolicy::Invite.admits("ana@acme.io"));
        assert!(SignUpPolicy::Open.admits("anyone@example.com"));
        for bad in ["", "closed", "acme", "a b.io", "x@y@z", ","] {
            assert!(SignUpPolicy::parse(bad).is_err(), "{bad}");
        }
    }

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
