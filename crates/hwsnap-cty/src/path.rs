//! Attribute paths: where in a value something happened.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute (or nested block) by name.
    Attr(String),
    /// A map element by key.
    Key(String),
    /// A list or tuple element by index (also used for set elements, which
    /// have no stable key).
    Index(i64),
}

/// A path from the root of a value to one of its parts, such as
/// `timeouts.create` or `endpoints["dws"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the value as a whole.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of one attribute name.
    pub fn attr(name: impl Into<String>) -> Self {
        Self {
            steps: vec![PathStep::Attr(name.into())],
        }
    }

    /// This path extended by an attribute step.
    pub fn join_attr(&self, name: impl Into<String>) -> Self {
        self.join(PathStep::Attr(name.into()))
    }

    /// This path extended by a map-key step.
    pub fn join_key(&self, key: impl Into<String>) -> Self {
        self.join(PathStep::Key(key.into()))
    }

    /// This path extended by an index step.
    pub fn join_index(&self, index: i64) -> Self {
        self.join(PathStep::Index(index))
    }

    /// This path extended by one step.
    pub fn join(&self, step: PathStep) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        Self { steps }
    }

    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

/// A position as an index step's value (saturating; no real collection
/// reaches `i64::MAX` elements).
pub(crate) fn index(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

impl fmt::Display for AttributePath {
    /// Renders the path the way Terraform users read it: `a.b[0]["k"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(idx) => write!(f, "[{idx}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_hcl() {
        let p = AttributePath::attr("endpoints")
            .join_key("dws")
            .join_index(2)
            .join_attr("x");
        assert_eq!(p.to_string(), r#"endpoints["dws"][2].x"#);
        assert_eq!(AttributePath::root().to_string(), "(root)");
    }
}
