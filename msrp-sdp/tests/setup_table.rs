//! RFC 4145 §4.1 / RFC 6135 `a=setup` negotiation: every offer × answer pair.

use msrp_sdp::{Role, Setup, SetupError, answer_setup, negotiate_setup};

use Setup::{ActPass, Active, HoldConn, Passive};

type Roles2 = Result<(Role, Role), SetupError>;

const O_ACTIVE: Roles2 = Ok((Role::Active, Role::Passive));
const A_ACTIVE: Roles2 = Ok((Role::Passive, Role::Active));

#[test]
fn r4145_002_r6135_004_every_offer_answer_pair() {
    // (offer, answer, expected (offerer, answerer) roles)
    let table: &[(Option<Setup>, Option<Setup>, Roles2)] = &[
        // R4145-006: absent in the offer = active, absent in the answer = passive.
        (None, None, O_ACTIVE),
        (None, Some(Passive), O_ACTIVE),
        (None, Some(Active), Err(SetupError::BothActive)),
        (None, Some(ActPass), Err(SetupError::AnswerActPass)),
        (Some(Active), None, O_ACTIVE),
        (Some(Active), Some(Passive), O_ACTIVE),
        (Some(Active), Some(Active), Err(SetupError::BothActive)),
        (Some(Active), Some(ActPass), Err(SetupError::AnswerActPass)),
        (Some(Passive), Some(Active), A_ACTIVE),
        (Some(Passive), None, Err(SetupError::BothPassive)),
        (Some(Passive), Some(Passive), Err(SetupError::BothPassive)),
        (Some(Passive), Some(ActPass), Err(SetupError::AnswerActPass)),
        (Some(ActPass), Some(Active), A_ACTIVE),
        (Some(ActPass), Some(Passive), O_ACTIVE),
        (Some(ActPass), None, O_ACTIVE),
        (Some(ActPass), Some(ActPass), Err(SetupError::AnswerActPass)),
        // R6135-004: holdconn is ignored, i.e. treated as absent.
        (Some(HoldConn), None, O_ACTIVE),
        (Some(HoldConn), Some(Passive), O_ACTIVE),
        (Some(HoldConn), Some(Active), Err(SetupError::BothActive)),
        (Some(HoldConn), Some(HoldConn), O_ACTIVE),
        (Some(Active), Some(HoldConn), O_ACTIVE),
        (Some(ActPass), Some(HoldConn), O_ACTIVE),
        (Some(Passive), Some(HoldConn), Err(SetupError::BothPassive)),
    ];
    for (offer, answer, want) in table {
        let got = negotiate_setup(*offer, *answer).map(|r| (r.offerer, r.answerer));
        assert_eq!(&got, want, "offer {offer:?} answer {answer:?}");
    }
}

#[test]
fn r6135_009_answerer_choice_always_yields_exactly_one_active_side() {
    for offer in [
        None,
        Some(Active),
        Some(Passive),
        Some(ActPass),
        Some(HoldConn),
    ] {
        for reachable in [true, false] {
            let a = answer_setup(offer, reachable);
            assert_ne!(a, ActPass);
            let r = negotiate_setup(offer, Some(a)).expect("valid pair");
            assert_ne!(r.offerer, r.answerer);
        }
    }
    assert_eq!(answer_setup(Some(ActPass), true), Passive);
    assert_eq!(answer_setup(Some(ActPass), false), Active);
    assert_eq!(answer_setup(Some(Passive), true), Active); // P-29
    assert_eq!(answer_setup(None, false), Passive); // R6135-015
}
