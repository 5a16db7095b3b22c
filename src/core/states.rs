//! State machines: one table of allowed moves per machine, from which the guard, the 409
//! body (`current_state`, `allowed_transitions`) and the table in the spec all come.

use std::fmt::Display;

use crate::core::error::DomainError;

/// Where a move may lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<S: 'static> {
    /// A fixed state.
    State(S),
    /// The state the record remembers (a suspended localization resumes to where it was);
    /// the text says so in the spec's table.
    Remembered(&'static str),
}

/// A state machine over an enumeration.
pub trait StateMachine: Copy + Eq + Display + Sized + 'static {
    /// Every state with the moves it allows, in declaration order (the order clients see in
    /// `allowed_transitions`). A state without moves is final.
    const MOVES: &'static [(Self, &'static [Target<Self>])];

    /// Why `from → to` is refused, in words a client can act on; `allowed` is what `from`
    /// does allow.
    fn refusal(from: Self, to: Self, allowed: &[Self], _remembered: Option<Self>) -> String {
        if allowed.is_empty() {
            format!("cannot move from `{from}` to `{to}`: `{from}` is final")
        } else {
            let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
            format!(
                "cannot move from `{from}` to `{to}`; allowed: {}",
                names.join(", ")
            )
        }
    }

    /// The states reachable from `self` in one move; `remembered` is what
    /// `Target::Remembered` stands for on this record.
    fn allowed(self, remembered: Option<Self>) -> Vec<Self> {
        Self::MOVES
            .iter()
            .find(|(state, _)| *state == self)
            .map(|(_, targets)| {
                targets
                    .iter()
                    .filter_map(|target| match target {
                        Target::State(state) => Some(*state),
                        Target::Remembered(_) => remembered,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Refuses a move the table does not allow (409 `illegal-transition`).
    fn check_move(self, to: Self, remembered: Option<Self>) -> Result<(), DomainError> {
        let allowed = self.allowed(remembered);
        if allowed.contains(&to) {
            return Ok(());
        }
        Err(DomainError::transition(
            Self::refusal(self, to, &allowed, remembered),
            &self.to_string(),
            allowed.iter().map(ToString::to_string).collect(),
        ))
    }
}

/// The table of moves as the spec shows it (Markdown).
pub fn moves_table<S: StateMachine>() -> String {
    let mut table = String::from("| from | to |\n|---|---|");
    for (state, targets) in S::MOVES {
        let to: Vec<String> = targets
            .iter()
            .map(|target| match target {
                Target::State(next) => format!("`{next}`"),
                Target::Remembered(text) => (*text).to_owned(),
            })
            .collect();
        let to = if to.is_empty() {
            "nothing (final)".to_owned()
        } else {
            to.join(", ")
        };
        table.push_str(&format!("\n| `{state}` | {to} |"));
    }
    table
}

/// Every state of a machine, in declaration order.
pub fn machine_states<S: StateMachine>() -> Vec<String> {
    S::MOVES
        .iter()
        .map(|(state, _)| state.to_string())
        .collect()
}

/// Every state of every registered machine, sorted, each once: what `current_state` and
/// `allowed_transitions` of an illegal-transition problem can hold.
pub fn state_names() -> Vec<String> {
    let mut names: Vec<String> = inventory::iter::<MovesDoc>
        .into_iter()
        .flat_map(|doc| (doc.states)())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A machine's table, registered for the spec (`{moves:Name}` in a description becomes
/// the table).
pub struct MovesDoc {
    pub name: &'static str,
    pub table: fn() -> String,
    /// Every state of the machine, in declaration order.
    pub states: fn() -> Vec<String>,
}

inventory::collect!(MovesDoc);

/// Registers a state machine's table for the spec under the enum's name.
#[macro_export]
macro_rules! document_moves {
    ($machine:ident) => {
        inventory::submit! {
            $crate::core::states::MovesDoc {
                name: stringify!($machine),
                table: $crate::core::states::moves_table::<$machine>,
                states: $crate::core::states::machine_states::<$machine>,
            }
        }
    };
}

/// Replaces every `{moves:Name}` in `text` with that machine's table.
pub fn expand_moves(text: &str) -> String {
    let mut text = text.to_owned();
    for doc in inventory::iter::<MovesDoc> {
        let marker = format!("{{moves:{}}}", doc.name);
        if text.contains(&marker) {
            text = text.replace(&marker, &(doc.table)());
        }
    }
    text
}
