//! Who a token is, for policy: its roles (built-in, or custom roles stored here)
//! bounded by its creator (another token) or, at the root of its chain, by its
//! member. The server asks this for every request; the worker for every webhook
//! it fans an event out to (a webhook sees what its creator may view).

use tether_policy::{Principal, Role};

use crate::{Result, Store, TokenInfo};

/// How deep a chain of tokens creating tokens may go; deeper is refused.
pub const MAX_TOKEN_CHAIN: usize = 8;

/// Why a token stands for nobody.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrincipalError {
    #[error("the token that created this one ({0}) was revoked")]
    CreatorRevoked(String),
    #[error("the chain of tokens that created this token is too long")]
    ChainTooLong,
}

impl Store {
    /// The principal `token` acts as: `Ok(Err(_))` when it stands for nobody.
    pub async fn principal_of(
        &self,
        token: &TokenInfo,
    ) -> Result<std::result::Result<Principal, PrincipalError>> {
        let mut chain = vec![token.clone()];
        while let Some(id) = chain.last().and_then(|t| t.created_by) {
            if chain.len() >= MAX_TOKEN_CHAIN {
                return Ok(Err(PrincipalError::ChainTooLong));
            }
            let parent = self.token(id).await?;
            if parent.revoked_at.is_some() {
                return Ok(Err(PrincipalError::CreatorRevoked(parent.name)));
            }
            chain.push(parent);
        }
        let root = chain.last().expect("at least the token itself");
        let member_roles = self.member_roles(&root.member).await?.unwrap_or_default();
        let mut principal =
            Principal::member(root.member.clone(), self.roles(&member_roles).await?);
        for t in chain.iter().rev() {
            principal = Principal::token(t.name.clone(), self.roles(&t.roles).await?, principal);
        }
        Ok(Ok(principal))
    }

    /// Role names to roles: the built-in ones, then custom roles stored here. An
    /// unknown or unreadable role grants nothing (and is logged).
    pub async fn roles(&self, names: &[String]) -> Result<Vec<Role>> {
        let mut roles = Vec::new();
        for name in names {
            let role = match Role::built_in(name) {
                Some(role) => role,
                None => match self.role_statements(name).await? {
                    Some(text) => match Role::parse(name.as_str(), &text) {
                        Ok(role) => role,
                        Err(e) => {
                            tracing::warn!(role = %name, error = %e, "a stored role does not parse; it grants nothing");
                            continue;
                        }
                    },
                    None => {
                        tracing::warn!(role = %name, "a token names a role that does not exist; it grants nothing");
                        continue;
                    }
                },
            };
            roles.push(role);
        }
        Ok(roles)
    }
}
