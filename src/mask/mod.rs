//! Privacy masking (DESIGN.md §5): the operators that mask one value and the
//! scrubber that finds a patient's identifying details in free text.
// Used by the masking engine, landing next.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod ops;
pub(crate) mod scrub;
