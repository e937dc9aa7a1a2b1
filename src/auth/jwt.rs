//! Bearer tokens from the organisation's identity provider: signature, `iss`, `aud` and
//! `exp` are always checked; the role comes from a configurable claim.

use anyhow::Context;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde_json::Value;

use crate::config::{JwtAlgorithm, JwtSettings};
use crate::domain::{Actor, Role};

/// Validates tokens; built once at start-up from settings.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    role_claim: String,
    subject_claim: String,
}

impl JwtVerifier {
    pub fn from_settings(settings: &JwtSettings) -> anyhow::Result<Self> {
        let (algorithm, key) = match settings.algorithm {
            JwtAlgorithm::HS256 => (
                Algorithm::HS256,
                DecodingKey::from_secret(settings.secret.as_bytes()),
            ),
            JwtAlgorithm::RS256 => (
                Algorithm::RS256,
                DecodingKey::from_rsa_pem(&public_key(settings)?)?,
            ),
            JwtAlgorithm::ES256 => (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(&public_key(settings)?)?,
            ),
        };
        // Only the configured algorithm is accepted: no `none`, no HS/RS confusion.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = settings.leeway_secs;
        Ok(Self {
            key,
            validation,
            role_claim: settings.role_claim.clone(),
            subject_claim: settings.subject_claim.clone(),
        })
    }

    /// The actor a valid token stands for and when the token expires, or why the token
    /// was refused.
    pub fn verify(&self, token: &str) -> Result<(Actor, Option<DateTime<Utc>>), String> {
        let data = decode::<Value>(token, &self.key, &self.validation)
            .map_err(|e| format!("invalid token: {e}"))?;
        let claims = data.claims;
        let role = claims
            .get(&self.role_claim)
            .and_then(Value::as_str)
            .and_then(|r| r.to_ascii_lowercase().parse::<Role>().ok())
            .ok_or_else(|| format!("token has no valid '{}' claim", self.role_claim))?;
        let subject = claims
            .get(&self.subject_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("token has no '{}' claim", self.subject_claim))?;
        // `exp` is required by the validation, so it is there; leeway applies to it.
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|exp| exp.checked_add(i64::try_from(self.validation.leeway).ok()?))
            .and_then(|exp| DateTime::from_timestamp(exp, 0));
        Ok((Actor::token_holder(subject, role), expires_at))
    }
}

fn public_key(settings: &JwtSettings) -> anyhow::Result<Vec<u8>> {
    if !settings.public_key_pem.is_empty() {
        return Ok(settings.public_key_pem.as_bytes().to_vec());
    }
    std::fs::read(&settings.public_key_file).with_context(|| {
        format!(
            "reading auth.jwt.public_key_file {}",
            settings.public_key_file
        )
    })
}
