//! What a run is: a seed, a profile, and the knobs of the documented freedoms.

/// Which Windows a run reproduces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Profile {
    /// Modern Windows as verified (`reference/wine-facts.md`): a nonblocking stream send
    /// takes all or fails with `WSAEWOULDBLOCK`; completion routines run in FIFO order;
    /// `SO_MAX_MSG_SIZE` is 65507 for UDP.
    #[default]
    Windows,
    /// Every freedom the documentation allows, chosen by the seed at a recorded choice
    /// point: partial nonblocking sends, routines in any order, pending where immediate
    /// was possible, `WSAEWOULDBLOCK` for too many outstanding overlapped requests, split
    /// sends.
    Documented,
}

impl Profile {
    /// `"windows"` or `"documented"`, as `WSASIM_PROFILE` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Windows => "windows",
            Profile::Documented => "documented",
        }
    }

    /// Parses `"windows"` or `"documented"`.
    pub fn from_name(s: &str) -> Option<Profile> {
        match s {
            "windows" => Some(Profile::Windows),
            "documented" => Some(Profile::Documented),
            _ => None,
        }
    }
}

/// An integer probability `num / den` (never a float, so runs are portable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: u32,
    /// Denominator (0 means "never").
    pub den: u32,
}

impl Ratio {
    /// `num / den`.
    pub const fn new(num: u32, den: u32) -> Ratio {
        Ratio { num, den }
    }
    /// Never.
    pub const NEVER: Ratio = Ratio::new(0, 1);
}

/// The configuration of one run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The seed of the run's one random number generator.
    pub seed: u64,
    /// Which Windows to reproduce.
    pub profile: Profile,
    /// Documented profile: how often an overlapped operation that could complete at once
    /// pends instead (its buffers are then read only when the transport consumes them).
    pub pend_ratio: Ratio,
    /// Documented profile: how often a nonblocking stream send that does not fit whole
    /// takes part of the data instead of failing with `WSAEWOULDBLOCK`.
    pub partial_send_ratio: Ratio,
    /// Documented profile: how often an overlapped send on a socket that already has one
    /// outstanding fails with `WSAEWOULDBLOCK` ("too many outstanding overlapped I/O
    /// requests").
    pub too_many_outstanding_ratio: Ratio,
    /// Documented profile: how often the transport consumes a send in more than one piece.
    pub split_send_ratio: Ratio,
    /// Whether trace records are kept (tests and the CLI) or dropped (benchmarks).
    pub keep_trace: bool,
}

impl Config {
    /// A run of `seed` in `profile`, with the default knobs.
    pub fn new(seed: u64, profile: Profile) -> Config {
        Config {
            seed,
            profile,
            pend_ratio: Ratio::new(1, 2),
            partial_send_ratio: Ratio::new(1, 2),
            too_many_outstanding_ratio: Ratio::new(1, 8),
            split_send_ratio: Ratio::new(1, 2),
            keep_trace: true,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new(0, Profile::Windows)
    }
}
