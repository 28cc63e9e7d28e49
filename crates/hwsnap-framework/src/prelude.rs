//! What a type's file needs, in one line: `use hwsnap_framework::prelude::*;`
//! — the `model!` macro and its specs, the resource trait with its
//! requests and responses, validators, plan modifiers, import helpers,
//! timeouts, moves and private state, and the value types models use
//! (`Number`, `OffsetDateTime`).

pub use crate::cty::Number;
pub use crate::import::{self, Import, uuid};
pub use crate::model;
pub use crate::model::{computed, optional, optional_computed, required};
pub use crate::moves::{MoveRequest, MoveResponse, MoveSource, ProviderName};
pub use crate::plan_modifiers::{RequiresReplace, UseStateForUnknown};
pub use crate::private::{self, Private};
pub use crate::timeouts::Timeout;
pub use crate::validators::{
    ForbiddenChars, GoDuration, IntRange, IsRegex, Length, OneOf, Pattern, Validator,
};
pub use crate::{
    CreateRequest, CreateResponse, Ctx, DeleteRequest, DeleteResponse, Diagnostic, Diagnostics,
    ReadRequest, ReadResponse, Resource, UpdateRequest, UpdateResponse, async_trait,
};
pub use time::OffsetDateTime;
