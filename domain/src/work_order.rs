//! The bad-rating work order (差评工单) as a pure state machine, and its
//! deadlines in working days (SPEC §5; 000 rules 11 and 18; 002 rules 3, 5, 6,
//! 9; 003 §三(三); 004 rules 12–15). No IO: the store keeps an order's state
//! and asks [`WorkOrder::apply`] whether a step is allowed.
//!
//! `new → contacted (verified) → in_progress → replied → closed`, with QC
//! returning a reply (`returned`, back to `in_progress`); side paths that come
//! back where they left: an extension (`extension_requested → granted |
//! refused`, at most once) and an appeal (`appeal_requested → upheld`: the
//! rating is excluded and the order closed, or `rejected`). Being overdue is a
//! flag with working days late ([`overdue_days`]), not a state.

use chrono::{DateTime, Duration, Utc};

use crate::calendar::{day_of, start_of, Calendar};

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    New,
    /// The rater was reached and the complaint verified (核实).
    Contacted,
    InProgress,
    /// The unit's written reply waits for the center's quality check.
    Replied,
    /// QC sent the reply back; the unit works on it again.
    Returned,
    ExtensionRequested,
    AppealRequested,
    Closed,
}

impl State {
    pub const ALL: [State; 8] = [
        State::New,
        State::Contacted,
        State::InProgress,
        State::Replied,
        State::Returned,
        State::ExtensionRequested,
        State::AppealRequested,
        State::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::New => "new",
            State::Contacted => "contacted",
            State::InProgress => "in_progress",
            State::Replied => "replied",
            State::Returned => "returned",
            State::ExtensionRequested => "extension_requested",
            State::AppealRequested => "appeal_requested",
            State::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// How much handling a verified complaint needs (chosen at verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The same working day.
    Simple,
    /// 5 working days.
    General,
    /// 15 working days (000 rule 11: rectify within 15 working days).
    Complex,
}

impl Tier {
    pub fn working_days(self) -> u32 {
        match self {
            Tier::Simple => 0,
            Tier::General => 5,
            Tier::Complex => 15,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Tier::Simple => "simple",
            Tier::General => "general",
            Tier::Complex => "complex",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Simple, Tier::General, Tier::Complex].into_iter().find(|t| t.code() == s)
    }
}

/// A step someone takes on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Verify(Tier),
    Start,
    Reply,
    QcPass,
    QcReturn,
    RequestExtension,
    GrantExtension,
    RefuseExtension,
    Appeal,
    UpholdAppeal,
    RejectAppeal,
}

impl Action {
    /// Every kind of step once (`Verify` stands for any tier).
    pub const ALL: [Action; 11] = [
        Action::Verify(Tier::General),
        Action::Start,
        Action::Reply,
        Action::QcPass,
        Action::QcReturn,
        Action::RequestExtension,
        Action::GrantExtension,
        Action::RefuseExtension,
        Action::Appeal,
        Action::UpholdAppeal,
        Action::RejectAppeal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Verify(_) => "verify",
            Action::Start => "start",
            Action::Reply => "reply",
            Action::QcPass => "qc_pass",
            Action::QcReturn => "qc_return",
            Action::RequestExtension => "request_extension",
            Action::GrantExtension => "grant_extension",
            Action::RefuseExtension => "refuse_extension",
            Action::Appeal => "appeal",
            Action::UpholdAppeal => "uphold_appeal",
            Action::RejectAppeal => "reject_appeal",
        }
    }
}

/// A step that is not allowed now, with the steps that are (for a 409 naming them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{action}` is not allowed in state `{state}`; allowed: {}", allowed.join(", "))]
pub struct IllegalTransition {
    pub state: &'static str,
    pub action: &'static str,
    pub allowed: Vec<&'static str>,
}

/// An order's state and what its history decides about the next steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkOrder {
    pub state: State,
    /// Where a side path (extension, appeal) returns to.
    pub resume: Option<State>,
    /// Chosen at verification.
    pub tier: Option<Tier>,
    /// One extension at most; set once granted.
    pub extended: bool,
    /// An upheld appeal: the rating is excluded from statistics (kept, marked).
    pub rating_excluded: bool,
}

impl WorkOrder {
    pub fn new() -> WorkOrder {
        WorkOrder {
            state: State::New,
            resume: None,
            tier: None,
            extended: false,
            rating_excluded: false,
        }
    }

    /// The steps allowed now (codes, for pages and refusals).
    pub fn allowed(&self) -> Vec<&'static str> {
        Action::ALL
            .into_iter()
            .filter(|a| self.next(*a).is_some())
            .map(Action::code)
            .collect()
    }

    /// The order after `action`, or why not.
    pub fn apply(&self, action: Action) -> Result<WorkOrder, IllegalTransition> {
        self.next(action).ok_or_else(|| IllegalTransition {
            state: self.state.code(),
            action: action.code(),
            allowed: self.allowed(),
        })
    }

    fn next(&self, action: Action) -> Option<WorkOrder> {
        use State as S;
        let mut o = *self;
        let side_from = matches!(self.state, S::New | S::Contacted | S::InProgress | S::Returned);
        match (self.state, action) {
            (S::New, Action::Verify(tier)) => {
                o.state = S::Contacted;
                o.tier = Some(tier);
            }
            (S::Contacted | S::Returned, Action::Start) => o.state = S::InProgress,
            (S::InProgress, Action::Reply) => o.state = S::Replied,
            (S::Replied, Action::QcPass) => o.state = S::Closed,
            (S::Replied, Action::QcReturn) => o.state = S::Returned,
            // An extension needs a deadline to extend: after verification only, and once.
            (S::Contacted | S::InProgress | S::Returned, Action::RequestExtension) if !self.extended => {
                o.resume = Some(self.state);
                o.state = S::ExtensionRequested;
            }
            (S::ExtensionRequested, Action::GrantExtension) => {
                o.state = self.resume?;
                o.resume = None;
                o.extended = true;
            }
            (S::ExtensionRequested, Action::RefuseExtension) => {
                o.state = self.resume?;
                o.resume = None;
            }
            (_, Action::Appeal) if side_from => {
                o.resume = Some(self.state);
                o.state = S::AppealRequested;
            }
            (S::AppealRequested, Action::UpholdAppeal) => {
                o.state = S::Closed;
                o.resume = None;
                o.rating_excluded = true;
            }
            (S::AppealRequested, Action::RejectAppeal) => {
                o.state = self.resume?;
                o.resume = None;
            }
            _ => return None,
        }
        Some(o)
    }
}

impl Default for WorkOrder {
    fn default() -> Self {
        WorkOrder::new()
    }
}

/// The abuse word list (002 rule 5(二) 侮辱谩骂), a data file kept with the code.
const ABUSE_WORDS: &str = include_str!("../lists/abuse_words.txt");

/// Whether a comment holds a word of the abuse list (flagged for the center,
/// never dropped).
pub fn is_abusive(text: &str) -> bool {
    let text = text.to_lowercase();
    ABUSE_WORDS
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.starts_with('#'))
        .any(|w| text.contains(&w.to_lowercase()))
}

/// The end of the `days`-th working day after the day of `from` (CST); 0 is the
/// end of that day itself, or of the next working day when it is a rest day
/// (Dehong's "立即": by the end of the same working day).
pub fn due(cal: &Calendar, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    if days == 0 {
        start_of(cal.add_working_days(day_of(from), 0) + Duration::days(1))
    } else {
        cal.deadline(from, days)
    }
}

/// Working days late at `now` (counted from the day after the deadline's last
/// working day); `None` while not overdue.
pub fn overdue_days(cal: &Calendar, due: DateTime<Utc>, now: DateTime<Utc>) -> Option<u32> {
    if now < due {
        return None;
    }
    let last_day_of_deadline = due - Duration::seconds(1);
    Some(cal.working_days_between(last_day_of_deadline, now).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        crate::calendar::cst()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn run(steps: &[Action]) -> Result<WorkOrder, IllegalTransition> {
        steps.iter().try_fold(WorkOrder::new(), |o, a| o.apply(*a))
    }

    #[test]
    fn abusive_comments_are_recognised_from_the_word_list() {
        assert!(is_abusive("窗口的人就是个傻逼"));
        assert!(is_abusive("What a SHIT service"));
        assert!(!is_abusive("等了两个小时，没人解释"));
        assert!(!is_abusive(""));
    }

    #[test]
    fn an_order_goes_from_new_to_closed_through_verification_reply_and_qc() {
        let o = run(&[Action::Verify(Tier::General), Action::Start, Action::Reply, Action::QcPass]).expect("the main path");
        assert_eq!((o.state, o.tier, o.rating_excluded), (State::Closed, Some(Tier::General), false));
    }

    #[test]
    fn qc_returns_a_reply_and_the_unit_works_on_it_again() {
        let o = run(&[Action::Verify(Tier::Simple), Action::Start, Action::Reply, Action::QcReturn]).expect("returned");
        assert_eq!(o.state, State::Returned);
        let o = o.apply(Action::Start).expect("back to work");
        assert_eq!(o.state, State::InProgress);
        let o = o.apply(Action::Reply).and_then(|o| o.apply(Action::QcPass)).expect("closed");
        assert_eq!(o.state, State::Closed);
    }

    #[test]
    fn one_extension_comes_back_where_it_left_and_a_second_is_refused() {
        let o = run(&[Action::Verify(Tier::Complex), Action::Start, Action::RequestExtension]).expect("requested");
        assert_eq!((o.state, o.resume), (State::ExtensionRequested, Some(State::InProgress)));
        let granted = o.apply(Action::GrantExtension).expect("granted");
        assert_eq!((granted.state, granted.extended), (State::InProgress, true));
        let again = granted.apply(Action::RequestExtension).expect_err("one extension at most");
        assert_eq!(again.action, "request_extension");
        assert!(!again.allowed.contains(&"request_extension"), "{again}");
        let refused = o.apply(Action::RefuseExtension).expect("refused");
        assert_eq!((refused.state, refused.extended), (State::InProgress, false));
        assert!(
            refused.apply(Action::RequestExtension).is_ok(),
            "a refused request may be asked again"
        );
    }

    #[test]
    fn an_upheld_appeal_excludes_the_rating_and_closes_a_rejected_one_resumes() {
        let upheld = run(&[Action::Verify(Tier::General), Action::Appeal, Action::UpholdAppeal]).expect("upheld");
        assert_eq!((upheld.state, upheld.rating_excluded), (State::Closed, true));
        let rejected = run(&[Action::Verify(Tier::General), Action::Appeal, Action::RejectAppeal]).expect("rejected");
        assert_eq!((rejected.state, rejected.rating_excluded), (State::Contacted, false));
        let from_new = run(&[Action::Appeal, Action::RejectAppeal]).expect("an appeal before verification");
        assert_eq!(from_new.state, State::New);
    }

    #[test]
    fn every_illegal_step_is_refused_naming_the_allowed_ones() {
        // Every state, reached by a real path.
        let reach: [&[Action]; 8] = [
            &[],
            &[Action::Verify(Tier::General)],
            &[Action::Verify(Tier::General), Action::Start],
            &[Action::Verify(Tier::General), Action::Start, Action::Reply],
            &[Action::Verify(Tier::General), Action::Start, Action::Reply, Action::QcReturn],
            &[Action::Verify(Tier::General), Action::RequestExtension],
            &[Action::Appeal],
            &[Action::Verify(Tier::General), Action::Start, Action::Reply, Action::QcPass],
        ];
        let mut legal = 0;
        for path in reach {
            let o = run(path).expect("reachable");
            for a in Action::ALL {
                match o.apply(a) {
                    Ok(_) => {
                        legal += 1;
                        assert!(o.allowed().contains(&a.code()), "{:?} {:?}", o.state, a);
                    }
                    Err(e) => {
                        assert_eq!((e.state, e.action), (o.state.code(), a.code()));
                        assert_eq!(e.allowed, o.allowed());
                        assert!(!e.allowed.contains(&a.code()));
                    }
                }
            }
        }
        // new: verify, appeal · contacted: start, extension, appeal · in_progress: reply,
        // extension, appeal · replied: pass, return · returned: start, extension, appeal ·
        // extension_requested: grant, refuse · appeal_requested: uphold, reject · closed: none.
        assert_eq!(legal, 2 + 3 + 3 + 2 + 3 + 2 + 2);
        let closed = run(reach[7]).expect("closed");
        assert!(closed.allowed().is_empty(), "a closed order takes no step");
    }

    #[test]
    fn states_read_back_from_their_codes() {
        for s in State::ALL {
            assert_eq!(State::parse(s.code()), Some(s));
        }
        assert_eq!(State::parse("overdue"), None, "overdue is a flag, not a state");
    }

    #[test]
    fn first_contact_after_a_bad_rating_on_2025_09_30_is_due_at_the_end_of_2025_10_09() {
        // Liaoning: first contact within 1 working day; 10-01…10-08 is the
        // National Day and Mid-Autumn holiday (国办发明电〔2024〕12号).
        let cal = Calendar::builtin();
        let rated = at(2025, 9, 30, 16);
        assert_eq!(due(&cal, rated, 1), at(2025, 10, 10, 0));
        assert_eq!(overdue_days(&cal, due(&cal, rated, 1), at(2025, 10, 9, 23)), None);
        assert_eq!(overdue_days(&cal, due(&cal, rated, 1), at(2025, 10, 10, 9)), Some(1));
        // 10-11 (Saturday) is a 调休 working day: two working days late on it.
        assert_eq!(overdue_days(&cal, due(&cal, rated, 1), at(2025, 10, 11, 9)), Some(2));
    }

    #[test]
    fn the_same_day_tier_ends_with_the_working_day_and_a_rest_day_moves_it() {
        let cal = Calendar::builtin();
        // A Friday: the end of that Friday.
        assert_eq!(due(&cal, at(2026, 11, 27, 10), Tier::Simple.working_days()), at(2026, 11, 28, 0));
        // A Saturday: the end of Monday.
        assert_eq!(due(&cal, at(2026, 11, 28, 10), 0), at(2026, 12, 1, 0));
        assert_eq!(Tier::General.working_days(), 5);
        assert_eq!(Tier::Complex.working_days(), 15);
    }
}
