//! The one error type of `store`: *why* a use case refused, in types — never
//! sentences. `app::text` words each reason in zh-CN and English; the server
//! maps each variant to an HTTP status in one place.

use sea_orm::{DbErr, SqlErr};

/// Why an input field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Empty where a value is needed.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Holds control characters.
    ControlCharacters,
    /// Not 1–`max` printable characters.
    Printable { max: usize },
    /// Not an RFC 3339 time.
    NotTime,
    /// `accepted_at` after `completed_at`.
    AfterCompletion,
    /// A number outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// No such code (of the kind the field names): item, window, staff, case,
    /// unit, hall, region, channel, target, scope.
    Unknown(String),
    /// A region code is 2–12 digits (GB/T 2260).
    RegionCode,
    /// A code is 1–64 characters without spaces or `/ ? #`.
    Code,
    /// A job number is 1–64 characters without spaces.
    JobNumber,
    /// A web address starting with https://, http:// or /.
    WebAddress,
    /// A region cannot be its own parent.
    OwnParent,
    /// A region cannot move under its own sub-region.
    UnderOwnSubRegion,
    /// A role that needs a scope code got none.
    ScopeNeeded,
    /// A value the domain refused (phone, case number, comment).
    Value(domain::ValueError),
    /// A rating the domain refused (level, tags, reasons).
    Rating(domain::RatingError),
    /// The case has no staff member to rate.
    NoStaff,
    /// Business systems push only `online` or `mobile` ratings.
    NotPushable,
    /// The Idempotency-Key header: 1–255 visible ASCII characters.
    IdempotencyKey,
    /// The Idempotency-Key was used for a different request.
    KeyReused,
    /// An unknown or expired pairing code.
    PairingCode,
    /// The window is not in the device's hall.
    NotInHall,
    /// A hotline call id of 1–64 characters.
    CallId,
    /// The named case belongs to another phone.
    OtherPhone,
    /// The phone has no unrated case in the last 30 days.
    NoUnratedCase,
    /// A rating form without its submission id (reload the page).
    FormIncomplete,
    /// Rating from a shared code needs the rater cookie.
    CookiesNeeded,
    /// A follow-up before the first rating.
    RateFirst,
    /// Not a JPEG, PNG or WebP image.
    NotImage,
    /// A file over `kb` KB.
    FileTooLarge { kb: usize },
    /// A year outside 2000–2100.
    Year,
    /// A calendar file line the domain refused.
    Calendar(domain::calendar::CalendarError),
    /// A policy setting outside its range.
    Policy(domain::policy::RangeError),
    /// A real-name bad rating's order closes only after a revisit (回访).
    RevisitNeeded,
    /// Appeal evidence must be a PDF, JPEG or PNG file.
    NotEvidence,
    /// Only a bad rating opens a work order.
    NotBad,
    /// The region's policy does not allow this here.
    NotAllowedHere,
    /// A window's hall lies outside its unit's region (and the regions below it).
    HallOutsideUnitRegion,
    /// An item's or staff member's unit is not of the window's region (or one above it).
    NotOfWindowRegion,
    /// A time more than five minutes ahead of the server's clock.
    InFuture,
    /// An evaluator rates only the window it is paired to.
    OwnWindowOnly,
    /// A rating queued on a device longer than the region allows.
    QueuedTooLong { hours: u32 },
    /// The region requires real names: prove a phone by SMS code first.
    RealNameNeeded,
    /// A real-name code asked for again within a minute.
    CodeTooSoon { seconds: i64 },
    /// A wrong SMS code; `left` tries remain on this code.
    WrongCode { left: i32 },
    /// No live code for this phone (none sent, expired, or too many wrong tries).
    NoLiveCode,
}

/// Why a write conflicts with what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A record of this kind with this code exists.
    CodeTaken(String),
    /// An account with this job number exists.
    JobNumberTaken(String),
    /// The case number was reported before with different details.
    CaseResent(String),
    /// The case already has a rating of this target.
    Rated { case: String, target: &'static str },
    /// The case number names cases of several business systems.
    SeveralSystems(String),
    /// A work-order step not allowed in the order's state (names the allowed ones).
    Transition(domain::work_order::IllegalTransition),
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named thing does not exist (unknown token, case, code).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that parsed but breaks a rule; `field` names the input field.
    #[error("{field}: {reason:?}")]
    Invalid { field: &'static str, reason: Reason },
    /// A resend that disagrees with what is stored, or a second rating.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The rating link was already used: the rating is stored, nothing new is.
    #[error("already rated")]
    AlreadyRated,
    /// The rating link's time is over.
    #[error("rating link expired")]
    Expired,
    #[error("invalid or revoked API key")]
    Unauthorized,
    /// The signed-in person's role or scope does not cover this.
    #[error("not allowed for this account")]
    Forbidden,
    /// Too many wrong tries from here: try again after `seconds`.
    #[error("too many tries; try again in {seconds} s")]
    TooManyTries { seconds: i64 },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl Error {
    pub fn invalid(field: &'static str, reason: Reason) -> Error {
        Error::Invalid { field, reason }
    }

    pub(crate) fn is_unique_violation(e: &DbErr) -> bool {
        matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
