//! Portal passwords: argon2id hashes (PHC strings), and a brake on guessing.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use avisera_domain::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// Hashes a password with a fresh random salt. Slow on purpose; call it off the async threads.
pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the stored hash. A malformed hash matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Runs the hash on a blocking thread.
pub async fn hash_async(password: String) -> String {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .expect("hashing does not panic")
}

pub async fn verify_async(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// Failed sign-ins allowed per email within the window before it must wait.
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Counts sign-in attempts per email (lower-cased) in this node's memory. An attempt is
/// counted before its password is checked, so parallel guesses cannot slip past the limit; a
/// success forgets the count. After `MAX_FAILURES` attempts within `WINDOW_MS` the email waits
/// until the window has passed. At most `VERIFYING` passwords are checked at once, so a flood of
/// sign-ins cannot exhaust memory (each argon2 check takes ~19 MiB).
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, (u32, Timestamp)>>,
    pub verifying: tokio::sync::Semaphore,
}

pub const VERIFYING: usize = 4;

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            attempts: Mutex::default(),
            verifying: tokio::sync::Semaphore::new(VERIFYING),
        }
    }
}

impl LoginThrottle {
    /// Counts an attempt for `email`, or says how many minutes it must wait.
    pub fn attempt(&self, email: &str, now: Timestamp) -> Result<(), i64> {
        let mut map = self.attempts.lock().expect("throttle lock");
        if map.len() > 100_000 {
            map.retain(|_, (_, first)| now.as_millisecond() - first.as_millisecond() < WINDOW_MS);
        }
        let entry = map.entry(email.trim().to_lowercase()).or_insert((0, now));
        let left = entry.1.as_millisecond() + WINDOW_MS - now.as_millisecond();
        if left <= 0 {
            *entry = (0, now);
        } else if entry.0 >= MAX_FAILURES {
            return Err((left + 59_999) / 60_000);
        }
        entry.0 += 1;
        Ok(())
    }

    pub fn succeeded(&self, email: &str) {
        self.attempts
            .lock()
            .expect("throttle lock")
            .remove(&email.trim().to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("rätt lösenord");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("rätt lösenord", &h));
        assert!(!verify("fel lösenord", &h));
        assert!(!verify("rätt lösenord", "not a hash"));
    }

    #[test]
    fn guessing_is_locked_for_the_rest_of_the_window() {
        let t = LoginThrottle::default();
        let t0: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(t.attempt("A@x.se", t0), Ok(()));
        }
        assert_eq!(t.attempt("a@x.se", t0), Err(15));
        assert_eq!(t.attempt("b@x.se", t0), Ok(()), "other emails are not locked");
        let later: Timestamp = "2026-11-25T10:15:00Z".parse().unwrap();
        assert_eq!(t.attempt("a@x.se", later), Ok(()), "the window has passed");
        t.succeeded("b@x.se");
        for _ in 0..MAX_FAILURES {
            assert_eq!(t.attempt("b@x.se", t0), Ok(()), "a success forgets the count");
        }
    }
}
