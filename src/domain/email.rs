//! Email addresses as accounts and invitations store them.

/// `email` trimmed and lowercased, or `None` when it is not an address: no spaces or control
/// characters (a NUL would also fail on Postgres as a 500), a local part and a dotted domain.
pub fn normalised_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        });
    valid.then_some(email)
}
