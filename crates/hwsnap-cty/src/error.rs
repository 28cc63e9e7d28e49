//! The one error type of this crate: every variant says where it happened.

use std::fmt;

use crate::AttributePath;

/// An error from a codec or from parsing a type.
///
/// Every variant that concerns a value carries the [`AttributePath`] of the
/// part of the value where it happened; `Display` includes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes could not be read as a value of the given type.
    #[error("cannot decode value at {path}: {reason}")]
    Decode { path: AttributePath, reason: String },
    /// The value could not be written as the given type (it does not conform).
    #[error("cannot encode value at {path}: {reason}")]
    Encode { path: AttributePath, reason: String },
    /// An unknown value where the format cannot carry one (cty JSON).
    #[error("value at {path} is unknown, which cty JSON cannot represent")]
    Unknown { path: AttributePath },
    /// Input nested deeper than the codecs accept.
    #[error("value at {path} is nested deeper than {limit} levels")]
    TooDeep { path: AttributePath, limit: usize },
    /// Input holding more values, in all, than one decode accepts
    /// ([`crate::MAX_ELEMENTS`]); `path` is where the budget ran out.
    #[error("value at {path} makes the message hold more than {limit} values")]
    TooManyElements { path: AttributePath, limit: usize },
    /// A type's JSON form is malformed. `path` is set when the type was
    /// found inside a value (a dynamic value's type).
    #[error("invalid type JSON{}: {reason}", AtPath(.path.as_ref()))]
    TypeJson {
        path: Option<AttributePath>,
        reason: String,
    },
}

impl Error {
    /// Where in the value the error happened, when it concerns a value.
    pub fn path(&self) -> Option<&AttributePath> {
        match self {
            Error::Decode { path, .. }
            | Error::Encode { path, .. }
            | Error::Unknown { path }
            | Error::TooDeep { path, .. }
            | Error::TooManyElements { path, .. } => Some(path),
            Error::TypeJson { path, .. } => path.as_ref(),
        }
    }

    pub(crate) fn decode(path: &AttributePath, reason: impl Into<String>) -> Self {
        Error::Decode {
            path: path.clone(),
            reason: reason.into(),
        }
    }

    pub(crate) fn encode(path: &AttributePath, reason: impl Into<String>) -> Self {
        Error::Encode {
            path: path.clone(),
            reason: reason.into(),
        }
    }

    pub(crate) fn too_deep(path: &AttributePath) -> Self {
        Error::TooDeep {
            path: path.clone(),
            limit: MAX_DEPTH,
        }
    }

    pub(crate) fn type_json(reason: impl Into<String>) -> Self {
        Error::TypeJson {
            path: None,
            reason: reason.into(),
        }
    }

    /// This error, placed at `path` when it has no path yet.
    pub(crate) fn at(self, at: &AttributePath) -> Self {
        match self {
            Error::TypeJson { path: None, reason } => Error::TypeJson {
                path: Some(at.clone()),
                reason,
            },
            other => other,
        }
    }
}

/// How deeply values and types may nest before the codecs refuse them.
pub(crate) const MAX_DEPTH: usize = 128;

/// The walk the four codecs (JSON and msgpack, each way) share: the
/// attribute path of the value at hand, for errors, and its nesting depth,
/// bounded by [`MAX_DEPTH`]. Each codec recurses only through
/// [`Walk::descend`] and [`Walk::nest`].
pub(crate) trait Walk: Sized {
    /// The codec's path and depth.
    fn position(&mut self) -> (&mut crate::AttributePath, &mut usize);

    /// Runs `f` for the child at `step`.
    fn descend<T>(
        &mut self,
        step: crate::PathStep,
        f: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.position().0.steps.push(step);
        let r = f(self);
        self.position().0.steps.pop();
        r
    }

    /// Runs `f` one nesting level down; refused past [`MAX_DEPTH`].
    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        let (path, depth) = self.position();
        if *depth >= MAX_DEPTH {
            return Err(Error::too_deep(path));
        }
        *depth += 1;
        let r = f(self);
        *self.position().1 -= 1;
        r
    }
}

/// Renders ` at PATH` for an optional path.
struct AtPath<'a>(Option<&'a AttributePath>);

impl fmt::Display for AtPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, " at {p}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_path() {
        let e = Error::decode(
            &AttributePath::attr("a").join_index(1),
            "string is required",
        );
        assert_eq!(
            e.to_string(),
            "cannot decode value at a[1]: string is required"
        );
        assert_eq!(e.path(), Some(&AttributePath::attr("a").join_index(1)));
    }

    #[test]
    fn type_json_gains_a_path_only_once() {
        let e = Error::type_json("bad");
        assert_eq!(e.path(), None);
        assert_eq!(e.to_string(), "invalid type JSON: bad");
        let e = e
            .at(&AttributePath::attr("x"))
            .at(&AttributePath::attr("y"));
        assert_eq!(e.path(), Some(&AttributePath::attr("x")));
        assert_eq!(e.to_string(), "invalid type JSON at x: bad");
    }
}
