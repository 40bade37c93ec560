//! Choice points: every freedom the documentation allows, drawn from the seed and
//! recorded, so a run can be replayed and (later) shrunk.

use crate::rng::Rng;
use std::collections::VecDeque;

/// The documented freedoms the model can choose among (`documented` profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChoiceKind {
    /// An overlapped operation that could complete at once pends instead. WSASend:
    /// "If the operation does not complete immediately, the final completion status is
    /// retrieved through the completion routine or WSAGetOverlappedResult."
    PendInsteadOfImmediate,
    /// How many bytes a nonblocking stream send takes when not all fit. WSASend: "If the
    /// socket is non-blocking and stream-oriented, and there is not sufficient space in
    /// the transport's buffer, WSASend will return with only part of the application's
    /// buffers having been consumed."
    PartialSend,
    /// An overlapped send fails with `WSAEWOULDBLOCK`: "There are too many outstanding
    /// overlapped I/O requests."
    TooManyOutstanding,
    /// Which queued completion routine runs next: "The completion routines can be called
    /// in any order, not necessarily in the same order the overlapped operations are
    /// completed."
    RoutineOrder,
    /// How much of a send the transport consumes in one piece: "some Winsock providers may
    /// split a large send request into multiple transmissions".
    SplitSend,
    /// Which runnable thread the runtime runs next (OS scheduling, not a Winsock freedom,
    /// but drawn and recorded the same way so a run replays exactly).
    Schedule,
    /// Whether a fault of a scenario fires (a probabilistic fault at one of its
    /// opportunities, or a swarm run's draw of which faults are on). Not a Winsock
    /// freedom either: recorded so that a run replays and shrinking can turn faults off
    /// (0 is "no fault").
    Fault,
}

impl ChoiceKind {
    /// Stable name used in traces and replay strings.
    pub fn name(self) -> &'static str {
        match self {
            ChoiceKind::PendInsteadOfImmediate => "pend",
            ChoiceKind::PartialSend => "partial_send",
            ChoiceKind::TooManyOutstanding => "too_many_outstanding",
            ChoiceKind::RoutineOrder => "routine_order",
            ChoiceKind::SplitSend => "split_send",
            ChoiceKind::Schedule => "schedule",
            ChoiceKind::Fault => "fault",
        }
    }
}

/// One choice made during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChoiceRecord {
    /// What was chosen.
    pub kind: ChoiceKind,
    /// Among how many options (`0..options`).
    pub options: u64,
    /// Which.
    pub picked: u64,
}

/// Makes and records choices: from a forced script first (replay), then from the seed.
#[derive(Debug)]
pub struct Choices {
    rng: Rng,
    forced: VecDeque<u64>,
    log: Vec<ChoiceRecord>,
}

impl Choices {
    /// Choices drawn from `seed`.
    pub fn new(seed: u64) -> Choices {
        Choices {
            rng: Rng::new(seed),
            forced: VecDeque::new(),
            log: Vec::new(),
        }
    }

    /// Forces the next choices, in order (values are clamped to each choice's range).
    pub fn force(&mut self, picks: impl IntoIterator<Item = u64>) {
        self.forced.extend(picks);
    }

    /// Picks one of `options` (`options > 0`) and records it.
    pub fn choose(&mut self, kind: ChoiceKind, options: u64) -> ChoiceRecord {
        assert!(options > 0, "a choice needs at least one option");
        let picked = match self.forced.pop_front() {
            Some(p) => p.min(options - 1),
            None => self.rng.below(options),
        };
        let rec = ChoiceRecord {
            kind,
            options,
            picked,
        };
        self.log.push(rec);
        rec
    }

    /// A yes/no choice that says yes with probability `num/den`; recorded as 2 options.
    pub fn flip(&mut self, kind: ChoiceKind, num: u32, den: u32) -> (bool, ChoiceRecord) {
        let picked = match self.forced.pop_front() {
            Some(p) => p.min(1),
            None => u64::from(self.rng.ratio(num, den)),
        };
        let rec = ChoiceRecord {
            kind,
            options: 2,
            picked,
        };
        self.log.push(rec);
        (picked == 1, rec)
    }

    /// Every choice made so far.
    pub fn log(&self) -> &[ChoiceRecord] {
        &self.log
    }

    /// The generator, for model randomness that is not a documented freedom (loss rules).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_choices_come_first_then_the_seed() {
        let mut c = Choices::new(1);
        c.force([5, 0]);
        assert_eq!(
            c.choose(ChoiceKind::PartialSend, 3).picked,
            2,
            "clamped to range"
        );
        assert!(
            !c.flip(ChoiceKind::PendInsteadOfImmediate, 1, 1).0,
            "forced 0 wins over 1/1"
        );
        assert!(c.flip(ChoiceKind::PendInsteadOfImmediate, 1, 1).0);
        assert_eq!(c.log().len(), 3);
    }
}
