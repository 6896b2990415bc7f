//! Who opens the connection: RFC 4145 §4.1 `a=setup` pairs as used by MSRP (RFC 6135), with
//! the RFC 4975 default (no `a=setup`: the offerer connects).

use core::fmt;

use crate::attrs::Setup;

/// Which end of the transport connection a party is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Opens the connection and sends the first (binding) SEND (R6135-010). Also the TLS
    /// client (R6135-012).
    Active,
    /// Waits for the peer's connection and binding SEND.
    Passive,
}

/// The roles both sides end up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Roles {
    /// The offerer's role.
    pub offerer: Role,
    /// The answerer's role (always the other one).
    pub answerer: Role,
}

impl Roles {
    const fn offerer_active() -> Self {
        Self {
            offerer: Role::Active,
            answerer: Role::Passive,
        }
    }
    const fn answerer_active() -> Self {
        Self {
            offerer: Role::Passive,
            answerer: Role::Active,
        }
    }
}

/// An offer/answer `a=setup` pair RFC 4145 §4.1 does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetupError {
    /// The answer says `actpass` (only offers may).
    AnswerActPass,
    /// Both sides would connect (e.g. `active`/`active`, or a setup-less offer answered
    /// `active`, P-08).
    BothActive,
    /// Both sides would wait (`passive`/`passive`, or a `passive` offer answered without
    /// `a=setup`).
    BothPassive,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AnswerActPass => "answer uses setup:actpass",
            Self::BothActive => "both sides would be active",
            Self::BothPassive => "both sides would be passive",
        })
    }
}

impl std::error::Error for SetupError {}

/// The value negotiation uses: `holdconn` is ignored, as if absent (R6135-004).
#[must_use]
pub fn effective(setup: Option<Setup>) -> Option<Setup> {
    setup.filter(|s| *s != Setup::HoldConn)
}

/// Negotiates roles from the offer's and the answer's `a=setup` (R4145-002, R4145-006,
/// R6135-004): absent in an offer = `active`, absent in an answer = `passive`.
///
/// # Errors
/// The pair is not allowed.
pub fn negotiate(offer: Option<Setup>, answer: Option<Setup>) -> Result<Roles, SetupError> {
    let o = effective(offer).unwrap_or(Setup::Active);
    let a = effective(answer).unwrap_or(Setup::Passive);
    match (o, a) {
        (_, Setup::ActPass) => Err(SetupError::AnswerActPass),
        (Setup::Active | Setup::ActPass, Setup::Passive) => Ok(Roles::offerer_active()),
        (Setup::Passive | Setup::ActPass, Setup::Active) => Ok(Roles::answerer_active()),
        (Setup::Active, Setup::Active) => Err(SetupError::BothActive),
        (Setup::Passive, Setup::Passive) => Err(SetupError::BothPassive),
        // `effective` removed HoldConn.
        (Setup::HoldConn, _) | (_, Setup::HoldConn) => Err(SetupError::BothPassive),
    }
}

/// The `a=setup` an RFC 6135 answerer puts in its answer: `passive` to an `active` or
/// setup-less offer, `active` to a `passive` offer (P-29), and for `actpass` `passive` when it
/// can accept connections (`reachable`), else `active` (R6135-009).
#[must_use]
pub fn answer_setup(offer: Option<Setup>, reachable: bool) -> Setup {
    match effective(offer) {
        None | Some(Setup::Active) => Setup::Passive,
        Some(Setup::Passive) => Setup::Active,
        _ if reachable => Setup::Passive,
        _ => Setup::Active,
    }
}
