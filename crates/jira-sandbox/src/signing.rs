//! The sandbox's own asymmetric signing key, playing Atlassian's part: Connect install and
//! uninstall callbacks are RS256 JWTs whose `kid` names a public key that apps fetch from a
//! key service (`GET /connect-install-keys/{kid}` here, `https://connect-install-keys.atlassian.com`
//! in real life). One key per process, made on first use, like the one current key Atlassian
//! publishes; its `kid` is random, so keys from another run are never mistaken for it.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use serde_json::{Value, json};
use sha2::Sha256;

/// The path the sandbox serves its public keys under, by `kid` (the route in `http/mod.rs`).
pub const INSTALL_KEYS_PATH: &str = "/connect-install-keys";

struct Key {
    kid: String,
    private: RsaPrivateKey,
    public_pem: String,
}

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut rng = rand::thread_rng();
        let private = RsaPrivateKey::new(&mut rng, 2048).expect("a 2048-bit RSA key");
        let public_pem = private
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("an RSA public key encodes");
        Key { kid: uuid_like(&mut rng), private, public_pem }
    })
}

fn uuid_like(rng: &mut impl rand::Rng) -> String {
    let hex: String = (0..16).map(|_| format!("{:02x}", rng.r#gen::<u8>())).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The PEM (SubjectPublicKeyInfo) of the key named `kid`, if it is the sandbox's.
pub fn public_key_pem(kid: &str) -> Option<&'static str> {
    let key = key();
    (key.kid == kid).then_some(key.public_pem.as_str())
}

/// The path of the sandbox's JSON Web Key Set, playing Forge's
/// `https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json` (Forge Invocation Tokens).
pub const FORGE_JWKS_PATH: &str = "/.well-known/jwks.json";

/// The current key as a JSON Web Key Set: `{"keys": [{kty, kid, alg, use, n, e}]}`.
pub fn jwks() -> Value {
    use rsa::traits::PublicKeyParts;
    let key = key();
    let public = key.private.to_public_key();
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    json!({"keys": [{"kty": "RSA", "kid": key.kid, "alg": "RS256", "use": "sig",
        "n": b64(public.n()), "e": b64(public.e())}]})
}

/// An RS256 JWT over `claims`, with the current key's `kid` in its header.
pub fn rs256_jwt(claims: &Value) -> String {
    let key = key();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": key.kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    // Randomised (blinded) signing: RSA private-key operations without blinding leak timing.
    let signer = SigningKey::<Sha256>::new(key.private.clone());
    let signature = signer.sign_with_rng(&mut rand::thread_rng(), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}
