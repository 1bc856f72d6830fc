//! [`Program`]: which kind of Partnero program the API key belongs to.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The kind of program an API key belongs to. It decides what the sign-up helper sends.
///
/// ```
/// use partnero_client::Program;
///
/// assert_eq!("refer-a-friend".parse::<Program>().unwrap(), Program::ReferAFriend);
/// assert_eq!(Program::default(), Program::Affiliate);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Program {
    /// An affiliate program: sign-ups are attributed to a partner (`partner.key`).
    #[default]
    Affiliate,
    /// A refer-a-friend program: every customer is created, referred ones with
    /// `referring_customer.key`.
    ReferAFriend,
    /// A newsletter referral program: subscribers refer subscribers
    /// ([`Partnero::subscribers`](crate::Partnero::subscribers)); the sign-up and sale helpers
    /// do not apply.
    Newsletter,
}

impl Program {
    /// `affiliate`, `refer-a-friend` or `newsletter`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Program::Affiliate => "affiliate",
            Program::ReferAFriend => "refer-a-friend",
            Program::Newsletter => "newsletter",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Program {
    type Err = Error;

    /// Accepts `affiliate`, `refer-a-friend` (also `refer_a_friend`, `referafriend`, `raf`) and
    /// `newsletter`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match norm.as_str() {
            "affiliate" => Ok(Program::Affiliate),
            "referafriend" | "raf" => Ok(Program::ReferAFriend),
            "newsletter" => Ok(Program::Newsletter),
            _ => Err(Error::Config(format!(
                "unknown program {s:?}: expected `affiliate`, `refer-a-friend` or `newsletter`"
            ))),
        }
    }
}

/// The client's program: set by the app, or learned from Partnero (`GET /test`) when it was
/// not set; [`Program::Affiliate`] until then.
#[derive(Debug, Clone)]
pub(crate) struct ProgramSetting {
    set: Option<Program>,
    learned: std::sync::OnceLock<Program>,
    /// Set once Partnero answered without naming a known program: not asked again.
    unanswerable: std::sync::OnceLock<()>,
}

impl ProgramSetting {
    pub(crate) fn new(set: Option<Program>) -> Self {
        Self {
            set,
            learned: std::sync::OnceLock::new(),
            unanswerable: std::sync::OnceLock::new(),
        }
    }

    /// The program in effect.
    pub(crate) fn current(&self) -> Program {
        self.set
            .or_else(|| self.learned.get().copied())
            .unwrap_or_default()
    }

    /// Whether the app set the program (then nothing is learned).
    pub(crate) fn is_set(&self) -> bool {
        self.set.is_some()
    }

    /// Whether the program is known: set, or learned.
    pub(crate) fn is_known(&self) -> bool {
        self.set.is_some() || self.learned.get().is_some()
    }

    /// Whether Partnero was asked and could not tell (see [`give_up`](Self::give_up)).
    pub(crate) fn is_unanswerable(&self) -> bool {
        self.unanswerable.get().is_some()
    }

    /// Partnero answered without naming a known program: stop asking.
    pub(crate) fn give_up(&self) {
        let _ = self.unanswerable.set(());
    }

    /// Records what Partnero said, unless the app set the program.
    pub(crate) fn learn(&self, program: Program) {
        if self.set.is_none() {
            let _ = self.learned.set(program);
        }
    }
}
