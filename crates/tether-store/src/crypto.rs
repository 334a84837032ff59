//! Encryption of secrets at rest: AES-256-GCM under the master key.
//!
//! A sealed value is `version byte (1) || 12-byte random nonce || ciphertext+tag`.
//! The setting's name is bound in as associated data, so a sealed value copied to
//! another row does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::StoreError;

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;

/// The 256-bit key that protects every secret tether stores. Never printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// Why a master key could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MasterKeyError {
    #[error(
        "expected 32 bytes as 64 hex digits or 44 base64 characters, got {0} characters \
         (make one with `openssl rand -base64 32`)"
    )]
    Malformed(usize),
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> MasterKey {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        MasterKey(bytes)
    }

    /// Reads a key written as 64 hex digits or as standard base64 of 32 bytes;
    /// surrounding whitespace is ignored.
    pub fn from_encoded(text: &str) -> Result<MasterKey, MasterKeyError> {
        let text = text.trim();
        let malformed = || MasterKeyError::Malformed(text.chars().count());
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| malformed())?
        } else {
            BASE64.decode(text).map_err(|_| malformed())?
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| malformed())?;
        Ok(MasterKey(bytes))
    }

    /// The key as base64, for writing a key file.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Seals a secret text under `context` (the name of the row it is stored in).
    pub(crate) fn seal_secret(&self, context: &str, secret: &SecretString) -> Vec<u8> {
        self.seal(context, secret.expose_secret().as_bytes())
    }

    /// Opens a secret text sealed under `context`: the one way every stored secret
    /// (settings, Jira sites, webhooks) is read back.
    pub(crate) fn open_secret(
        &self,
        context: &str,
        sealed: &[u8],
    ) -> Result<SecretString, StoreError> {
        let plain =
            self.open(context, sealed).ok_or_else(|| StoreError::Decrypt(context.to_owned()))?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| StoreError::Decrypt(context.to_owned()))
    }

    pub(crate) fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.0).into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: context.as_bytes() };
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encryption cannot fail for inputs under 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// `None` when the key is wrong or the data was altered.
    pub(crate) fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (&version, rest) = sealed.split_first()?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new((&self.0).into());
        let payload = Payload { msg: ciphertext, aad: context.as_bytes() };
        cipher.decrypt(Nonce::from_slice(nonce), payload).ok()
    }
}
