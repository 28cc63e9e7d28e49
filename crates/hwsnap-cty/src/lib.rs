//! cty types and values, as Terraform's plugin protocol carries them.
//!
//! Main types: [`Type`], [`Value`], [`Number`] and [`AttributePath`]; the
//! codecs [`msgpack`] and [`json`]; one error type, [`Error`].
//!
//! The one design decision to know: a [`Value`] carries no type of its own.
//! Every codec is driven by the [`Type`] it is given — `(value, type)` in,
//! bytes out, and `(bytes, type)` back — exactly as go-cty does it, so an
//! object is always encoded with every attribute of its type, nulls included,
//! and a decode error names the attribute path where it happened. Known, null
//! and unknown are three distinct cases, and numbers keep full precision.
//!
//! ```
//! use hwsnap_cty::{msgpack, Type, Value};
//!
//! let ty = Type::object([("name", Type::String), ("size", Type::Number)]);
//! let bytes = msgpack::encode(&Value::Object([("name".into(), "x".into())].into()), &ty)?;
//! let back = msgpack::decode(&bytes, &ty)?;
//! assert_eq!(back.get_attr("size"), Some(&Value::Null));
//! # Ok::<(), hwsnap_cty::Error>(())
//! ```
//!
//! Decoders read untrusted bytes: lengths are checked before allocating,
//! nesting deeper than 128 levels is an [`Error::TooDeep`] and a message
//! holding more than [`MAX_ELEMENTS`] values in all is an
//! [`Error::TooManyElements`], never a crash or a memory blow-up.

mod budget;
mod error;
mod number;
mod path;
mod types;
mod value;

pub mod json;
pub mod msgpack;

#[cfg(test)]
mod testutil;

pub use budget::MAX_ELEMENTS;
pub use error::Error;
pub use number::Number;
pub use path::{AttributePath, PathStep};
pub use types::Type;
pub use value::{Refinements, Value};
