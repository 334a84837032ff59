//! Compiled parts that many flags share, kept once per process: attribute paths and
//! regexes. Hundreds of flags testing `country` or the same pattern then point at one copy,
//! so evaluating a large environment reads those bytes from cache instead of one cold copy
//! per clause, and a snapshot holds each compiled regex (and its search caches) once.
//!
//! Entries are weak: a part lives as long as a compiled flag holds it, and the table forgets
//! dead entries as it grows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Below this many entries the table is never swept.
const FIRST_SWEEP: usize = 64;

#[derive(Debug)]
pub(crate) struct Interner<T> {
    table: Mutex<Table<T>>,
}

#[derive(Debug)]
struct Table<T> {
    entries: HashMap<Box<str>, Weak<T>>,
    /// Dead entries are dropped when the table reaches this size, which is then set to
    /// twice the live entries (so sweeping costs a constant share of the insertions).
    sweep_at: usize,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner { table: Mutex::new(Table { entries: HashMap::new(), sweep_at: FIRST_SWEEP }) }
    }
}

impl<T> Interner<T> {
    /// The live part made for `key`, or `make`'s, kept for the next caller.
    pub(crate) fn get_or_try<E>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        // Nothing panics while the lock is held; a poisoned table is still consistent.
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = table.entries.get(key).and_then(Weak::upgrade) {
            return Ok(live);
        }
        let made = Arc::new(make()?);
        if table.entries.len() >= table.sweep_at {
            table.entries.retain(|_, part| part.strong_count() > 0);
            table.sweep_at = (table.entries.len() * 2).max(FIRST_SWEEP);
        }
        table.entries.insert(key.into(), Arc::downgrade(&made));
        Ok(made)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_share_one_part_while_it_lives() {
        let interner = Interner::<String>::default();
        let make = |s: &str| Ok::<_, ()>(s.to_owned());
        let a = interner.get_or_try("country", || make("country")).unwrap();
        let b = interner.get_or_try("country", || make("never made")).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        // Dead: made again.
        let c = interner.get_or_try("country", || make("again")).unwrap();
        assert_eq!(*c, "again");
        assert_eq!(interner.get_or_try("bad", || Err::<String, _>("no")), Err("no"));
    }

    #[test]
    fn dead_entries_are_swept_as_the_table_grows() {
        let interner = Interner::<usize>::default();
        let kept: Vec<_> =
            (0..10).map(|i| interner.get_or_try(&format!("k{i}"), || Ok::<_, ()>(i))).collect();
        for i in 0..1000 {
            drop(interner.get_or_try(&format!("gone{i}"), || Ok::<_, ()>(i)));
        }
        assert!(interner.len() < 2 * FIRST_SWEEP + 10, "{} entries", interner.len());
        for (i, part) in kept.into_iter().enumerate() {
            let again = interner.get_or_try(&format!("k{i}"), || Ok::<_, ()>(usize::MAX)).unwrap();
            assert!(Arc::ptr_eq(&part.unwrap(), &again));
        }
    }
}
