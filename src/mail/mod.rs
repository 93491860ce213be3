//! Mail: the SMTP server `SMTP_URL` names, and the few plain-text messages the app sends — a
//! password reset link, an email address's confirmation link, an invitation link.
//!
//! Without `SMTP_URL` nothing is mailed: the pages say what to do instead (an admin's
//! `users set-password`, a link to pass on, a change of email without confirmation).
#![cfg(feature = "ssr")]

pub mod tokens;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one message may take to send (connecting, TLS, the SMTP exchange) before it is given
/// up as failed: a request that mails waits at most this long for the mail server.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The default sender (`MAIL_FROM`).
pub const DEFAULT_FROM: &str = "icp-builder <no-reply@localhost>";

/// `SMTP_URL`, checked: how to reach the mail server (`smtp://host:port`, `smtps://user:pass@host`,
/// `smtp://host?tls=required`, as `lettre`'s `from_url` reads it). Its `Debug` leaves out the URL,
/// which may hold a password.
#[derive(Clone)]
pub struct SmtpUrl(AsyncSmtpTransportBuilder);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(…)")
    }
}

impl SmtpUrl {
    /// The value parser of `SMTP_URL`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(raw.trim())
            .map(SmtpUrl)
            .map_err(|error| format!("not an SMTP URL (smtp://host:port, smtps://…): {error}"))
    }
}

/// The value parser of `MAIL_FROM`: an address, with a name or without
/// (`icp-builder <no-reply@example.com>`).
pub fn mailbox(raw: &str) -> Result<Mailbox, String> {
    raw.trim()
        .parse()
        .map_err(|error| format!("not an email address (name <address>): {error}"))
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("the recipient's address is not one mail can go to")]
    Address(#[from] lettre::address::AddressError),
    #[error("the message could not be made")]
    Message(#[from] lettre::error::Error),
    #[error("the mail server refused or failed")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the mail server did not answer within {SEND_TIMEOUT:?}")]
    TimedOut,
}

/// Sends the app's messages through one SMTP server (its connections pooled), from `MAIL_FROM`.
#[derive(Clone, Debug)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for `url` (the pool's clean-up task starts on the current runtime).
    pub fn new(url: &SmtpUrl, from: Mailbox) -> Self {
        let transport = url.0.clone().timeout(Some(SEND_TIMEOUT)).build();
        Self { transport, from }
    }

    /// Mails `mail` to `to`, within `SEND_TIMEOUT`.
    pub async fn mail(&self, to: &str, mail: Mail<'_>) -> Result<(), MailError> {
        let (subject, text) = mail.subject_and_text(to);
        self.send(to, &subject, text).await
    }

    /// Sends `body` as plain text to `to`, within `SEND_TIMEOUT`.
    async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to.parse()?))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(sent) => sent.map(|_| ()).map_err(MailError::from),
            Err(_) => Err(MailError::TimedOut),
        }
    }
}

/// The start of the app's absolute links: `PUBLIC_URL`, or else the request's host over http (as
/// the team page builds invitation links).
pub fn site_base(public_url: Option<&url::Url>, headers: &axum::http::HeaderMap) -> String {
    match public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => headers
            .get(axum::http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .map(|host| format!("http://{host}"))
            .unwrap_or_default(),
    }
}

/// What the app mails, each with its link (absolute; a single-use token's).
pub enum Mail<'a> {
    /// The link that chooses a new password.
    PasswordReset { link: &'a str },
    /// The link that confirms the recipient as the new email address of `name`'s account.
    EmailConfirmation { name: &'a str, link: &'a str },
    /// The link that makes the recipient a member of `workspace`, from `inviter`.
    Invitation {
        inviter: &'a str,
        workspace: &'a str,
        link: &'a str,
    },
}

impl Mail<'_> {
    /// Its subject and plain text, addressed to `to`.
    fn subject_and_text(&self, to: &str) -> (String, String) {
        match *self {
            Mail::PasswordReset { link } => (
                "Reset your ICP Builder password".to_owned(),
                format!(
                    "Someone asked to reset the password of your ICP Builder account ({to}).\n\n\
                     To choose a new password, open this link within the next hour (it works once):\n\n\
                     {link}\n\n\
                     If it was not you, ignore this message: your password stays as it is.\n"
                ),
            ),
            Mail::EmailConfirmation { name, link } => (
                "Confirm your new ICP Builder email address".to_owned(),
                format!(
                    "Hello {name},\n\n\
                     To make {to} the email address of your ICP Builder account, open this link within the \
                     next hour (it works once):\n\n\
                     {link}\n\n\
                     Until then your account keeps its current address. If it was not you, ignore this message.\n"
                ),
            ),
            Mail::Invitation {
                inviter,
                workspace,
                link,
            } => (
                format!("{inviter} invites you to {workspace} on ICP Builder"),
                format!(
                    "{inviter} invites you to the workspace {workspace} on ICP Builder.\n\n\
                     To join, open this link within 7 days and sign in or create an account with this \
                     address ({to}); it works once:\n\n\
                     {link}\n"
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_the_url_is_never_shown() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtps://user:secret@mail.example.com",
            "smtp://mail.example.com?tls=required",
        ] {
            let url = SmtpUrl::parse(good).unwrap_or_else(|e| panic!("{good}: {e}"));
            assert!(!format!("{url:?}").contains("secret"));
        }
        for bad in ["", "http://mail.example.com", "mail.example.com"] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad:?}");
        }
        assert!(mailbox(DEFAULT_FROM).is_ok());
        assert!(mailbox("Sales <sales@acme.io>").is_ok());
        assert!(mailbox("not an address").is_err());
    }
}
