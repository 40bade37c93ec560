//! Event objects.
//!
//! Heads up: "WSACreateEvent: creates a manual-reset, initially nonsignaled, unnamed
//! event" (SDK `wsacreateevent`). `WSASetEvent` signals it, `WSAResetEvent` clears it,
//! and waits do not change a manual-reset event's state.

/// An event object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// Whether it is signalled.
    pub signaled: bool,
    /// Manual-reset events stay signalled until reset; auto-reset events are cleared by
    /// the wait they satisfy.
    pub manual_reset: bool,
}

impl Event {
    /// What `WSACreateEvent` makes: manual-reset, not signalled.
    pub const fn wsa() -> Event {
        Event {
            signaled: false,
            manual_reset: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsa_create_event_starts_manual_reset_and_not_signalled() {
        let e = Event::wsa();
        assert!(e.manual_reset && !e.signaled);
    }
}
