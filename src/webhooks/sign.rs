//! Standard Webhooks 1.0 signatures (<https://www.standardwebhooks.com/>): a secret is
//! `whsec_` + base64 of random bytes; a delivery carries `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`, one
//! per secret in use, separated by spaces (while a rotated secret still signs).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What a secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a new secret (the specification asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A new random secret, `whsec_…`.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key a `whsec_…` secret holds; None when it is not one.
fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// The `webhook-signature` value of `body` sent as message `id` at `timestamp` (Unix seconds),
/// one `v1,…` per secret that decodes.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> String {
    let signed: Vec<String> = secrets
        .iter()
        .filter_map(|secret| key(secret))
        .map(|key| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect();
    signed.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks reference libraries' tests.
    #[test]
    fn signs_as_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signed = signature(
            &[secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn every_secret_in_use_signs() {
        let (old, new) = (new_secret(), new_secret());
        assert!(old.starts_with(SECRET_PREFIX) && old != new);
        let both = signature(&[&new, &old], "evt", 1, b"{}");
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], signature(&[&new], "evt", 1, b"{}"));
        assert_eq!(parts[1], signature(&[&old], "evt", 1, b"{}"));
        assert_eq!(signature(&["not a secret"], "evt", 1, b"{}"), "");
    }
}
