//! Accounts: the password rules and their hashing (Argon2id), for every way an account is made
//! or changed (the administration page, the command line, the password form).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// 32 random bytes as hex: session tokens, CSRF tokens, API tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides random numbers");
    hex::encode(bytes)
}

/// The SHA-256 of a session or API token, as stored.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// An Argon2id hash (PHC string) of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("Zufallszahlen nicht verfügbar: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches `hash`. A malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The rules for a new password, with the message that names the field.
pub fn check_new_password(password: &str, repeated: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(format!(
            "Feld „Neues Passwort“: mindestens {MIN_PASSWORD} Zeichen"
        ));
    }
    if password != repeated {
        return Err(
            "Feld „Neues Passwort wiederholen“: stimmt nicht mit dem neuen Passwort überein".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("richtig-langes-passwort").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "richtig-langes-passwort"));
        assert!(!verify_password(&h, "richtig-langes-passworT"));
        assert!(!verify_password("kein hash", "x"));
        assert_ne!(
            h,
            hash_password("richtig-langes-passwort").unwrap(),
            "fresh salt"
        );
    }

    #[test]
    fn new_passwords_need_twelve_characters_and_the_same_twice() {
        assert!(
            check_new_password("elf-zeichen", "elf-zeichen")
                .unwrap_err()
                .contains("mindestens 12")
        );
        assert!(check_new_password("zwoelf-zeich", "zwoelf-zeich").is_ok());
        assert!(
            check_new_password("zwoelf-zeich", "zwoelf-zeicH")
                .unwrap_err()
                .contains("wiederholen")
        );
    }
}
