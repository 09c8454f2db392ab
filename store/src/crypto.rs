//! Applicant phone numbers at rest: sealed with AES-256-GCM (random 96-bit nonce,
//! stored as base64 of nonce ‖ ciphertext) and indexed by an HMAC-SHA-256 keyed
//! hash, so a number can be looked up without decrypting every row. The key
//! comes from configuration; nothing here is hand-rolled cryptography.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::Sha256;

use crate::entities::service_case;
use crate::{Db, Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// The data key: 32 bytes. `Debug` never prints it.
#[derive(Clone)]
pub struct DataKey {
    cipher: Aes256Gcm,
    hash_key: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    pub fn new(key: [u8; 32]) -> DataKey {
        // A separate key for the hash, derived from the data key, so the hash
        // reveals nothing about the encryption key.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(b"haocha phone hash v1");
        let hash_key: [u8; 32] = mac.finalize().into_bytes().into();
        DataKey {
            cipher: Aes256Gcm::new(&key.into()),
            hash_key,
        }
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(s: &str) -> Option<DataKey> {
        let bytes = hex::decode(s.trim()).ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(DataKey::new(key))
    }

    /// A fresh random key, as 64 hexadecimal digits.
    pub fn generate_hex() -> String {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    pub fn seal(&self, plaintext: &str) -> String {
        use rand::RngCore;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        B64.encode(out)
    }

    /// `None` when the text was sealed with another key or altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let raw = B64.decode(sealed).ok()?;
        if raw.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(pt).ok()
    }

    /// Deterministic keyed hash (hex) for equality look-ups.
    pub fn hash(&self, plaintext: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.hash_key).expect("HMAC takes any key length");
        mac.update(plaintext.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Seals phone numbers that older versions stored in plain text, and removes the
/// number from the stored request fingerprint. Runs at start-up; returns how many
/// cases it sealed.
pub async fn seal_legacy(db: &Db, key: &DataKey) -> Result<u64> {
    let rows = service_case::Entity::find()
        // `> ''` rather than IS NOT NULL: read by the index on the column.
        .filter(service_case::Column::ApplicantPhone.gt(""))
        .all(db)
        .await?;
    let mut n = 0;
    for row in rows {
        let Some(phone) = row.applicant_phone.clone() else { continue };
        let hash = key.hash(&phone);
        let fingerprint = row.request_fingerprint.replace(&phone, &hash);
        let mut am: service_case::ActiveModel = row.into();
        am.phone_sealed = Set(Some(key.seal(&phone)));
        am.phone_hash = Set(Some(hash));
        am.applicant_phone = Set(None);
        am.request_fingerprint = Set(fingerprint);
        am.update(db).await.map_err(Error::from)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_phone_opens_with_its_key_only() {
        let k = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        let sealed = k.seal("13800138000");
        assert!(!sealed.contains("13800138000"));
        assert_ne!(sealed, k.seal("13800138000"), "a fresh nonce every time");
        assert_eq!(k.open(&sealed).as_deref(), Some("13800138000"));
        let other = DataKey::from_hex(&DataKey::generate_hex()).unwrap();
        assert_eq!(other.open(&sealed), None);
        assert_eq!(k.hash("13800138000"), k.hash("13800138000"));
        assert_ne!(k.hash("13800138000"), other.hash("13800138000"));
        assert_eq!(format!("{k:?}"), "DataKey(***)");
    }
}
