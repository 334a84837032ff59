//! Evaluation contexts and attribute lookup by dotted path, with arrays matched element-wise.

use std::cell::Cell;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};

use crate::intern::Interner;

/// The attributes an evaluation is about, borrowed from the caller's JSON object (for OFREP,
/// the request's `context`). `targetingKey` is the key individual targets and segments match.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    attributes: Option<&'a Map<String, Value>>,
    /// The targeting key and its [`key_hash`], found once: every flag with individual
    /// targets tests it.
    target: Option<(&'a str, u64)>,
    /// Set while one context is evaluated for many flags (a bulk answer): what those
    /// evaluations share.
    memo: Option<&'a Memo<'a>>,
}

/// How many attribute paths a [`Memo`] remembers; the paths a bulk answer looks up beyond
/// these are looked up each time, as without one.
const MEMO_PATHS: usize = 16;

/// How many attribute tests a [`Memo`] has room for (a power of two). Each test has one
/// place, chosen by hashing it; a test whose place another holds is decided each time.
const MEMO_TESTS: usize = 64;

/// What evaluating one context for many flags shares: the value found at each attribute
/// path (looked up in the context's map once, not once per clause), the outcome of each
/// attribute test (a path and an operator with its operands: flags that test the same
/// condition decide it once), and whether the context is in each segment (decided once, not
/// once per flag that tests it). Paths and operators are told apart by their shared copy's
/// address ([`AttrPath::shared`], `Matcher::shared`): a memo lives within one evaluation
/// of one snapshot, which holds every path and operator it can be asked about.
#[derive(Debug)]
pub(crate) struct Memo<'a> {
    paths: [Cell<(usize, Found<'a>)>; MEMO_PATHS],
    /// Per place: the test's path and operator addresses (0 for a free place) and its
    /// outcome.
    tests: [Cell<(usize, usize, Lookup)>; MEMO_TESTS],
    /// Per segment of the snapshot: whether the context is in it, once decided.
    segments: Vec<Cell<Option<bool>>>,
}

/// Where a path leads in a context, before looking into an array at its end.
#[derive(Debug, Clone, Copy)]
enum Found<'a> {
    /// The value there (`null` included).
    Value(&'a Value),
    Missing,
    /// An array on the way: each element is walked, every time (not remembered).
    Arrays,
}

impl<'a> Memo<'a> {
    pub(crate) fn new(segments: usize) -> Memo<'a> {
        Memo {
            paths: std::array::from_fn(|_| Cell::new((0, Found::Missing))),
            tests: std::array::from_fn(|_| Cell::new((0, 0, Lookup::Missing))),
            segments: (0..segments).map(|_| Cell::new(None)).collect(),
        }
    }

    /// Whether the context is in segment `index`, deciding it with `decide` the first time.
    pub(crate) fn in_segment(&self, index: usize, decide: impl FnOnce() -> bool) -> bool {
        let Some(known) = self.segments.get(index) else { return decide() };
        if let Some(member) = known.get() {
            return member;
        }
        let member = decide();
        known.set(Some(member));
        member
    }
}

impl Memo<'_> {
    /// The outcome of testing the values at `path` with the operator at address `op`,
    /// deciding it with `decide` the first time (or every time, when its place is taken).
    pub(crate) fn test(
        &self,
        path: &AttrPath,
        op: usize,
        decide: impl FnOnce() -> Lookup,
    ) -> Lookup {
        let at = Arc::as_ptr(&path.0) as usize;
        // Fibonacci hashing of both addresses: the top bits of the product pick the place.
        let mixed = (at as u64 ^ (op as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let place = &self.tests[(mixed >> (u64::BITS - MEMO_TESTS.trailing_zeros())) as usize];
        let (known_at, known_op, outcome) = place.get();
        if known_at == at && known_op == op {
            return outcome;
        }
        let outcome = decide();
        if known_at == 0 {
            place.set((at, op, outcome));
        }
        outcome
    }
}

impl<'a> Context<'a> {
    pub fn new(attributes: &'a Map<String, Value>) -> Context<'a> {
        let target = attributes
            .get(crate::DEFAULT_BUCKET_BY)
            .and_then(Value::as_str)
            .map(|key| (key, key_hash(key)));
        Context { attributes: Some(attributes), target, memo: None }
    }

    /// This context for many evaluations that share `memo` (made for the same snapshot).
    pub(crate) fn remembering<'m>(&self, memo: &'m Memo<'m>) -> Context<'m>
    where
        'a: 'm,
    {
        Context { attributes: self.attributes, target: self.target, memo: Some(memo) }
    }

    /// The memo this context's evaluations share, if any.
    pub(crate) fn memo(&self) -> Option<&'a Memo<'a>> {
        self.memo
    }

    /// A context without attributes.
    pub fn empty() -> Context<'static> {
        Context { attributes: None, target: None, memo: None }
    }

    /// The targeting key with its [`key_hash`].
    pub(crate) fn target(&self) -> Option<(&'a str, u64)> {
        self.target
    }

    /// The context of a JSON object; `None` for any other JSON value.
    pub fn from_value(value: &'a Value) -> Option<Context<'a>> {
        value.as_object().map(Context::new)
    }

    /// The `targetingKey` attribute, when it is a string.
    pub fn targeting_key(&self) -> Option<&'a str> {
        self.target.map(|(key, _)| key)
    }

    /// The value at `path` (paths as in the crate docs), not looking into arrays; JSON `null`
    /// counts as absent. `None` also for a path that is not valid.
    pub fn get(&self, path: &str) -> Option<&'a Value> {
        // Not through a memo: a path parsed here is not a shared copy.
        let ctx = Context { memo: None, ..*self };
        AttrPath::parse(path).ok()?.get(ctx)
    }
}

/// The hash individual targets are filtered by (`compile::Targets`): the same for the same
/// key within a process.
pub(crate) fn key_hash(key: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// A parsed attribute path. An attribute name that exists as a top-level key is taken whole
/// (so `app.version` can be a plain key); otherwise it is split at dots and walked through
/// objects. An array met on the way is looked into, one element level deep.
///
/// Compiled flags share one copy of each path ([`AttrPath::shared`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath(Arc<Parts>);

#[derive(Debug, PartialEq, Eq)]
struct Parts {
    full: String,
    parts: Vec<String>,
}

static PATHS: LazyLock<Interner<Parts>> = LazyLock::new(Interner::default);

/// The outcome of testing the values found at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// No (non-null) value there.
    Missing,
    NoMatch,
    Match,
}

/// Paths deeper than this are refused: lookup recurses once per part.
pub(crate) const MAX_PATH_PARTS: usize = 32;

impl AttrPath {
    /// Fails on an empty path, an empty part (`a..b`, `.a`) or too many parts.
    pub(crate) fn parse(path: &str) -> Result<AttrPath, ()> {
        Parts::parse(path).map(|p| AttrPath(Arc::new(p)))
    }

    /// [`AttrPath::parse`], answering the copy every compiled flag with this path shares.
    pub(crate) fn shared(path: &str) -> Result<AttrPath, ()> {
        PATHS.get_or_try(path, || Parts::parse(path)).map(AttrPath)
    }

    /// The single value at the path, not looking into arrays (used to bucket).
    pub(crate) fn get<'a>(&self, ctx: Context<'a>) -> Option<&'a Value> {
        match self.find(ctx)? {
            Found::Value(v) => non_null(v),
            Found::Missing | Found::Arrays => None,
        }
    }

    /// Tests `test` on every value at the path (array elements one by one) until one matches.
    pub(crate) fn visit(&self, ctx: Context<'_>, test: &mut impl FnMut(&Value) -> bool) -> Lookup {
        let mut found = false;
        let matched = match self.find(ctx) {
            Some(Found::Value(v)) => leaf(v, test, &mut found),
            Some(Found::Arrays) => match ctx.attributes {
                Some(attrs) => walk_object(attrs, &self.0.parts, test, &mut found),
                None => false,
            },
            Some(Found::Missing) | None => false,
        };
        match (matched, found) {
            (true, _) => Lookup::Match,
            (false, true) => Lookup::NoMatch,
            (false, false) => Lookup::Missing,
        }
    }

    /// Where the path leads in the context (`None` when it has no attributes), from its memo
    /// when it has one.
    fn find<'a>(&self, ctx: Context<'a>) -> Option<Found<'a>> {
        let attrs = ctx.attributes?;
        let Some(memo) = ctx.memo else { return Some(self.find_in(attrs)) };
        let id = Arc::as_ptr(&self.0) as usize;
        for slot in &memo.paths {
            let (known, found) = slot.get();
            if known == id {
                return Some(found);
            }
            if known == 0 {
                let found = self.find_in(attrs);
                slot.set((id, found));
                return Some(found);
            }
        }
        Some(self.find_in(attrs))
    }

    /// The whole name as a key, else its parts walked through objects.
    fn find_in<'a>(&self, attrs: &'a Map<String, Value>) -> Found<'a> {
        let Parts { full, parts } = &*self.0;
        if let Some(v) = attrs.get(full) {
            return Found::Value(v);
        }
        let Some((first, rest)) = parts.split_first().filter(|_| parts.len() > 1) else {
            return Found::Missing;
        };
        let Some(mut v) = attrs.get(first) else { return Found::Missing };
        for part in rest {
            v = match v {
                Value::Object(m) => match m.get(part) {
                    Some(next) => next,
                    None => return Found::Missing,
                },
                Value::Array(_) => return Found::Arrays,
                _ => return Found::Missing,
            };
        }
        Found::Value(v)
    }
}

impl Parts {
    fn parse(path: &str) -> Result<Parts, ()> {
        let parts: Vec<String> = path.split('.').map(str::to_owned).collect();
        if parts.iter().any(String::is_empty) || parts.len() > MAX_PATH_PARTS {
            return Err(());
        }
        Ok(Parts { full: path.to_owned(), parts })
    }
}

fn non_null(v: &Value) -> Option<&Value> {
    if v.is_null() { None } else { Some(v) }
}

// `parts` is never empty here: callers pass a parsed path or a non-empty tail of one.
fn walk_object(
    obj: &Map<String, Value>,
    parts: &[String],
    test: &mut impl FnMut(&Value) -> bool,
    found: &mut bool,
) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return false;
    };
    let Some(v) = obj.get(first) else {
        return false;
    };
    if rest.is_empty() {
        return leaf(v, test, found);
    }
    match v {
        Value::Object(m) => walk_object(m, rest, test, found),
        // An array of objects on the way: each element is walked; nested arrays are not
        // (that keeps recursion bounded by the path's length).
        Value::Array(items) => items.iter().any(|item| match item {
            Value::Object(m) => walk_object(m, rest, test, found),
            _ => false,
        }),
        _ => false,
    }
}

fn leaf(v: &Value, test: &mut impl FnMut(&Value) -> bool, found: &mut bool) -> bool {
    match v {
        Value::Null => false,
        Value::Array(items) => items.iter().filter(|i| !i.is_null()).any(|i| {
            *found = true;
            test(i)
        }),
        _ => {
            *found = true;
            test(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::{AttrPath, Lookup, Memo};

    /// A test is decided once per memo; another operator on the same path, or the same
    /// operator on another path, is a test of its own.
    #[test]
    fn a_memo_decides_each_test_once() {
        let memo = Memo::new(0);
        let (country, plan) =
            (AttrPath::shared("country").unwrap(), AttrPath::shared("plan").unwrap());
        let decided = Cell::new(0);
        let decide = |outcome| {
            decided.set(decided.get() + 1);
            outcome
        };
        assert_eq!(memo.test(&country, 8, || decide(Lookup::Match)), Lookup::Match);
        assert_eq!(memo.test(&country, 8, || decide(Lookup::NoMatch)), Lookup::Match);
        assert_eq!(decided.get(), 1);
        assert_eq!(memo.test(&country, 16, || decide(Lookup::NoMatch)), Lookup::NoMatch);
        assert_eq!(memo.test(&plan, 8, || decide(Lookup::Missing)), Lookup::Missing);
        assert_eq!(decided.get(), 3);
        assert_eq!(memo.test(&country, 16, || decide(Lookup::Match)), Lookup::NoMatch);
        assert_eq!(memo.test(&plan, 8, || decide(Lookup::Match)), Lookup::Missing);
        assert_eq!(decided.get(), 3);
    }

    /// More tests than places: each still gets its own outcome, whatever place it hashes to.
    #[test]
    fn tests_beyond_the_places_are_decided_each_time() {
        let memo = Memo::new(0);
        let path = AttrPath::shared("country").unwrap();
        let outcome =
            |op: usize| if op.is_multiple_of(3) { Lookup::Match } else { Lookup::NoMatch };
        for round in 0..2 {
            for op in (1..=1000).map(|i| i * 8) {
                assert_eq!(memo.test(&path, op, || outcome(op)), outcome(op), "round {round}");
            }
        }
    }
}
