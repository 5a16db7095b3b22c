//! The resource kit's core: what every resource shares and that knows neither HTTP nor a
//! database backend. Ids, paging and sort declarations, preconditions, state machines and
//! the domain error with its stable codes.

pub mod auth;
pub mod context;
pub mod enums;
pub mod error;
pub mod geojson;
pub mod ids;
pub mod paging;
pub mod precondition;
pub mod resource;
pub mod states;
pub mod time;
