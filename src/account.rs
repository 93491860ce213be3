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

/// An API token in the settings list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: Uuid,
    pub label: String,
    pub created_at: Timestamp,
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
    UnknownToken,
    TooManySignUps,
    SignUpNotSignedIn,
    Server,
}

impl FormProblem {
    const ALL: [FormProblem; 11] = [
        FormProblem::WrongCredentials,
        FormProblem::TooManyAttempts,
        FormProblem::InvalidEmail,
        FormProblem::InvalidName,
        FormProblem::ShortPassword,
        FormProblem::EmailTaken,
        FormProblem::InvalidLabel,
        FormProblem::UnknownToken,
        FormProblem::TooManySignUps,
        FormProblem::SignUpNotSignedIn,
        FormProblem::Server,
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
            FormProblem::UnknownToken => "token",
            FormProblem::TooManySignUps => "sign-ups",
            FormProblem::SignUpNotSignedIn => "created",
            FormProblem::Server => "server",
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
            FormProblem::UnknownToken => "That token does not exist or is already revoked.",
            FormProblem::TooManySignUps => "Too many accounts were created from your network.",
            FormProblem::SignUpNotSignedIn => {
                "Your account was created, but you could not be signed in. Please sign in."
            }
            FormProblem::Server => "Something went wrong on our side. Please try again.",
        }
    }

    /// The input the problem is about; `None` for the form as a whole.
    pub fn field(self) -> Option<&'static str> {
        match self {
            FormProblem::InvalidEmail | FormProblem::EmailTaken => Some("email"),
            FormProblem::InvalidName => Some("name"),
            FormProblem::ShortPassword => Some("password"),
            FormProblem::InvalidLabel => Some("label"),
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
