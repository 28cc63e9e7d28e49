//! How many values one decode may produce, in all: [`MAX_ELEMENTS`], spent
//! through a [`Budget`] before anything is allocated for them. Depth alone
//! does not bound memory: a flat msgpack list declares its length up front
//! and costs one byte per nil, so 4 MiB of nils would be four million
//! values.

use crate::{AttributePath, Error};

/// Most values (every element, map entry, attribute and dynamic type part
/// counts one) a single [`crate::msgpack::decode`] or [`crate::json::decode`]
/// produces. With a [`crate::Value`] of 32 bytes, this caps what any
/// message can make the decoder allocate at a few tens of MiB, whatever its
/// size; real Terraform messages hold a few hundred values.
pub const MAX_ELEMENTS: usize = 1 << 18;

/// What is left of one decode's [`MAX_ELEMENTS`].
#[derive(Debug)]
pub(crate) struct Budget {
    left: usize,
}

impl Budget {
    pub(crate) fn new() -> Self {
        Budget { left: MAX_ELEMENTS }
    }

    /// Spends `n` values (before they are allocated), or fails at `path`.
    pub(crate) fn spend(&mut self, n: usize, path: &AttributePath) -> Result<(), Error> {
        if n > self.left {
            self.left = 0;
            return Err(Error::TooManyElements {
                path: path.clone(),
                limit: MAX_ELEMENTS,
            });
        }
        self.left -= n;
        Ok(())
    }
}

/// An upper bound of the number of values in the JSON text `bytes`,
/// without parsing it: one, plus one per `,`, `[` and `{` outside strings
/// (every value but a container's first is preceded by a comma). Linear
/// and allocation-free, so it can run before a parser builds a tree.
pub(crate) fn json_values_upper_bound(bytes: &[u8]) -> usize {
    let mut count = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_spent_and_refuses_past_the_limit() {
        let mut b = Budget::new();
        let at = AttributePath::attr("x");
        b.spend(MAX_ELEMENTS - 1, &at).unwrap();
        b.spend(1, &at).unwrap();
        let err = b.spend(1, &at).unwrap_err();
        assert_eq!(
            err,
            Error::TooManyElements {
                path: at,
                limit: MAX_ELEMENTS
            }
        );
        assert!(err.to_string().contains("more than 262144 values"), "{err}");
    }

    #[test]
    fn json_counts_are_upper_bounds_that_ignore_strings() {
        assert_eq!(json_values_upper_bound(b"null"), 1);
        assert_eq!(json_values_upper_bound(b"[1,2,3]"), 4);
        assert_eq!(json_values_upper_bound(br#"{"a":[1,{}],"b":2}"#), 6);
        assert_eq!(json_values_upper_bound(br#"["a,b[{", "\",["]"#), 3);
        assert_eq!(json_values_upper_bound(br#""\\",[,"#), 4);
    }
}
