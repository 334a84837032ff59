//! Evaluation contexts and attribute lookup by dotted path, with arrays matched element-wise.

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
}

impl<'a> Context<'a> {
    pub fn new(attributes: &'a Map<String, Value>) -> Context<'a> {
        let target = attributes
            .get(crate::DEFAULT_BUCKET_BY)
            .and_then(Value::as_str)
            .map(|key| (key, key_hash(key)));
        Context { attributes: Some(attributes), target }
    }

    /// A context without attributes.
    pub fn empty() -> Context<'static> {
        Context { attributes: None, target: None }
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
        AttrPath::parse(path).ok()?.get(*self)
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
        let Parts { full, parts } = &*self.0;
        let attrs = ctx.attributes?;
        if let Some(v) = attrs.get(full) {
            return non_null(v);
        }
        let (first, rest) = parts.split_first()?;
        let mut v = attrs.get(first)?;
        for part in rest {
            v = v.as_object()?.get(part)?;
        }
        non_null(v)
    }

    /// Tests `test` on every value at the path (array elements one by one) until one matches.
    pub(crate) fn visit(&self, ctx: Context<'_>, test: &mut impl FnMut(&Value) -> bool) -> Lookup {
        let Some(attrs) = ctx.attributes else {
            return Lookup::Missing;
        };
        let Parts { full, parts } = &*self.0;
        let mut found = false;
        let matched = match attrs.get(full) {
            Some(v) => leaf(v, test, &mut found),
            None if parts.len() > 1 => walk_object(attrs, parts, test, &mut found),
            None => false,
        };
        match (matched, found) {
            (true, _) => Lookup::Match,
            (false, true) => Lookup::NoMatch,
            (false, false) => Lookup::Missing,
        }
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
