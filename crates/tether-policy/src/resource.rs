//! Concrete resources (what a request touches) and resource specifiers (what a statement names).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::action::ResourceKind;
use crate::error::{ParseError, ParseErrorKind};
use crate::glob::{CharRule, Glob, check_chars};

/// A concrete named thing with tags: a project, an environment, a flag, a webhook, …
///
/// Keys and tags are taken as they come from storage and are never validated here; a key
/// holding a reserved character simply cannot be matched by a literal pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Named {
    pub key: String,
    pub tags: BTreeSet<String>,
}

impl Named {
    /// A thing without tags.
    pub fn new(key: impl Into<String>) -> Named {
        Named { key: key.into(), tags: BTreeSet::new() }
    }

    /// A thing with tags.
    pub fn with_tags<I, S>(key: impl Into<String>, tags: I) -> Named
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Named { key: key.into(), tags: tags.into_iter().map(Into::into).collect() }
    }
}

/// What a request touches, built by the server from its own records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource {
    Project(Named),
    Environment {
        project: Named,
        env: Named,
    },
    /// `env: None` is the flag in all environments at once, for environment-independent
    /// actions (`createFlag`, `updateFlag`, `deleteFlag`, flag links). An allow must then
    /// name every environment (`env/*`); a deny naming any environment applies.
    Flag {
        project: Named,
        env: Option<Named>,
        flag: Named,
    },
    Segment {
        project: Named,
        segment: Named,
    },
    Webhook(Named),
    Integration(Named),
    /// `owner` is the member the token ultimately belongs to (for a token created by a
    /// token, the member at the root of the chain); `member/$self` specifiers match on it.
    Token {
        owner: String,
        token: Named,
    },
    Role(Named),
}

impl Resource {
    pub fn kind(&self) -> ResourceKind {
        match self {
            Resource::Project(_) => ResourceKind::Project,
            Resource::Environment { .. } => ResourceKind::Environment,
            Resource::Flag { .. } => ResourceKind::Flag,
            Resource::Segment { .. } => ResourceKind::Segment,
            Resource::Webhook(_) => ResourceKind::Webhook,
            Resource::Integration(_) => ResourceKind::Integration,
            Resource::Token { .. } => ResourceKind::Token,
            Resource::Role(_) => ResourceKind::Role,
        }
    }
}

/// Same grammar as [`ResourceSpec`] but with literal keys (no `*`/`?`), plus
/// `proj/<key>:flag/<key>` for a flag in all environments, and tokens always written with
/// their owner: `member/<name>:token/<key>`.
impl FromStr for Resource {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<Resource, ParseError> {
        let (shape, parts) = parse_parts(input, Mode::Concrete)?;
        let mut named =
            parts.into_iter().map(|part| Named { key: part.text.to_owned(), tags: part.tags });
        let mut next = || named.next().unwrap_or_else(|| Named::new(""));
        Ok(match shape {
            Shape::Project => Resource::Project(next()),
            Shape::Environment => Resource::Environment { project: next(), env: next() },
            Shape::Flag => Resource::Flag { project: next(), env: Some(next()), flag: next() },
            Shape::FlagAllEnvs => Resource::Flag { project: next(), env: None, flag: next() },
            Shape::Segment => Resource::Segment { project: next(), segment: next() },
            Shape::Webhook => Resource::Webhook(next()),
            Shape::Integration => Resource::Integration(next()),
            Shape::OwnedToken => {
                let owner = next().key;
                Resource::Token { owner, token: next() }
            }
            // Rejected by the parser in concrete mode; kept total rather than unreachable.
            Shape::Token => Resource::Token { owner: String::new(), token: next() },
            Shape::Role => Resource::Role(next()),
        })
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Project(p) => write!(f, "proj/{}", DisplayNamed(p)),
            Resource::Environment { project, env } => {
                write!(f, "proj/{}:env/{}", DisplayNamed(project), DisplayNamed(env))
            }
            Resource::Flag { project, env: Some(env), flag } => {
                write!(
                    f,
                    "proj/{}:env/{}:flag/{}",
                    DisplayNamed(project),
                    DisplayNamed(env),
                    DisplayNamed(flag)
                )
            }
            Resource::Flag { project, env: None, flag } => {
                write!(f, "proj/{}:flag/{}", DisplayNamed(project), DisplayNamed(flag))
            }
            Resource::Segment { project, segment } => {
                write!(f, "proj/{}:segment/{}", DisplayNamed(project), DisplayNamed(segment))
            }
            Resource::Webhook(w) => write!(f, "webhook/{}", DisplayNamed(w)),
            Resource::Integration(i) => write!(f, "integration/{}", DisplayNamed(i)),
            Resource::Token { owner, token } => {
                write!(f, "member/{owner}:token/{}", DisplayNamed(token))
            }
            Resource::Role(r) => write!(f, "role/{}", DisplayNamed(r)),
        }
    }
}

/// One segment of a specifier: a glob on the key, and tags the thing must all carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pattern {
    glob: Glob,
    tags: BTreeSet<String>,
}

impl Pattern {
    /// Fails when a tag is empty or holds a reserved character or a wildcard (tags are
    /// literal).
    pub fn new<I, S>(glob: Glob, tags: I) -> Result<Pattern, ParseError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: BTreeSet<String> = tags.into_iter().map(Into::into).collect();
        for tag in &tags {
            check_chars(tag, 0, CharRule::Literal)?;
        }
        Ok(Pattern { glob, tags })
    }

    /// `*` without tags: everything.
    pub fn any() -> Pattern {
        Pattern { glob: Glob::any(), tags: BTreeSet::new() }
    }

    pub fn glob(&self) -> &Glob {
        &self.glob
    }

    pub fn tags(&self) -> &BTreeSet<String> {
        &self.tags
    }

    /// The key matches the glob and the thing carries every tag of the pattern.
    pub fn matches(&self, named: &Named) -> bool {
        self.glob.matches(&named.key) && self.tags.is_subset(&named.tags)
    }

    fn matches_everything(&self) -> bool {
        self.glob.matches_everything() && self.tags.is_empty()
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.glob.as_str())?;
        write_tags(f, &self.tags)
    }
}

/// Whose tokens a token specifier names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnerPattern {
    /// `token/<glob>`: anyone's.
    Any,
    /// `member/<glob>:token/<glob>`: tokens of members whose name matches.
    Member(Glob),
    /// `member/$self:token/<glob>`: the requester's own tokens (same owner as the principal).
    Myself,
}

/// A resource specifier, as written in statements: `proj/*;mobile:env/production:flag/*`.
///
/// A specifier names resources of exactly one [`ResourceKind`]; `proj/*` names projects,
/// not the flags inside them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceSpec {
    Project(Pattern),
    Environment { project: Pattern, env: Pattern },
    Flag { project: Pattern, env: Pattern, flag: Pattern },
    Segment { project: Pattern, segment: Pattern },
    Webhook(Pattern),
    Integration(Pattern),
    Token { owner: OwnerPattern, token: Pattern },
    Role(Pattern),
}

impl ResourceSpec {
    /// Parses a specifier; errors carry the byte position in `input`.
    pub fn parse(input: &str) -> Result<ResourceSpec, ParseError> {
        let (shape, parts) = parse_parts(input, Mode::Spec)?;
        let self_owner = parts.first().is_some_and(|p| p.text == SELF);
        let mut patterns = parts
            .into_iter()
            .map(|part| Pattern { glob: Glob::trusted(part.text), tags: part.tags });
        let mut next = || patterns.next().unwrap_or_else(Pattern::any);
        Ok(match shape {
            Shape::Project => ResourceSpec::Project(next()),
            Shape::Environment => ResourceSpec::Environment { project: next(), env: next() },
            Shape::Flag => ResourceSpec::Flag { project: next(), env: next(), flag: next() },
            Shape::Segment => ResourceSpec::Segment { project: next(), segment: next() },
            Shape::Webhook => ResourceSpec::Webhook(next()),
            Shape::Integration => ResourceSpec::Integration(next()),
            Shape::Token => ResourceSpec::Token { owner: OwnerPattern::Any, token: next() },
            Shape::OwnedToken => {
                let member = next().glob;
                let owner =
                    if self_owner { OwnerPattern::Myself } else { OwnerPattern::Member(member) };
                ResourceSpec::Token { owner, token: next() }
            }
            Shape::Role => ResourceSpec::Role(next()),
            // Rejected by the parser in spec mode; kept total rather than unreachable.
            Shape::FlagAllEnvs => {
                ResourceSpec::Flag { project: next(), env: Pattern::any(), flag: next() }
            }
        })
    }

    /// One `*` specifier per resource kind: together they name every resource.
    pub fn everything() -> Vec<ResourceSpec> {
        let any = Pattern::any;
        vec![
            ResourceSpec::Project(any()),
            ResourceSpec::Environment { project: any(), env: any() },
            ResourceSpec::Flag { project: any(), env: any(), flag: any() },
            ResourceSpec::Segment { project: any(), segment: any() },
            ResourceSpec::Webhook(any()),
            ResourceSpec::Integration(any()),
            ResourceSpec::Token { owner: OwnerPattern::Any, token: any() },
            ResourceSpec::Role(any()),
        ]
    }

    pub fn kind(&self) -> ResourceKind {
        match self {
            ResourceSpec::Project(_) => ResourceKind::Project,
            ResourceSpec::Environment { .. } => ResourceKind::Environment,
            ResourceSpec::Flag { .. } => ResourceKind::Flag,
            ResourceSpec::Segment { .. } => ResourceKind::Segment,
            ResourceSpec::Webhook(_) => ResourceKind::Webhook,
            ResourceSpec::Integration(_) => ResourceKind::Integration,
            ResourceSpec::Token { .. } => ResourceKind::Token,
            ResourceSpec::Role(_) => ResourceKind::Role,
        }
    }

    /// Does this specifier name `resource`? `me` is the owner name `member/$self` stands
    /// for. `reach` only matters for a flag in all environments: see [`Reach`].
    pub(crate) fn reaches(&self, resource: &Resource, reach: Reach, me: &str) -> bool {
        match (self, resource) {
            (ResourceSpec::Project(p), Resource::Project(r)) => p.matches(r),
            (
                ResourceSpec::Environment { project, env },
                Resource::Environment { project: rp, env: re },
            ) => project.matches(rp) && env.matches(re),
            (
                ResourceSpec::Flag { project, env, flag },
                Resource::Flag { project: rp, env: re, flag: rf },
            ) => {
                let env_ok = match (re, reach) {
                    (Some(re), _) => env.matches(re),
                    (None, Reach::Covers) => env.matches_everything(),
                    (None, Reach::Touches) => true,
                };
                project.matches(rp) && env_ok && flag.matches(rf)
            }
            (
                ResourceSpec::Segment { project, segment },
                Resource::Segment { project: rp, segment: rs },
            ) => project.matches(rp) && segment.matches(rs),
            (ResourceSpec::Webhook(p), Resource::Webhook(r))
            | (ResourceSpec::Integration(p), Resource::Integration(r))
            | (ResourceSpec::Role(p), Resource::Role(r)) => p.matches(r),
            (ResourceSpec::Token { owner, token }, Resource::Token { owner: ro, token: rt }) => {
                let owner_ok = match owner {
                    OwnerPattern::Any => true,
                    OwnerPattern::Member(glob) => glob.matches(ro),
                    OwnerPattern::Myself => ro == me,
                };
                owner_ok && token.matches(rt)
            }
            _ => false,
        }
    }
}

impl FromStr for ResourceSpec {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<ResourceSpec, ParseError> {
        ResourceSpec::parse(input)
    }
}

impl fmt::Display for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceSpec::Project(p) => write!(f, "proj/{p}"),
            ResourceSpec::Environment { project, env } => write!(f, "proj/{project}:env/{env}"),
            ResourceSpec::Flag { project, env, flag } => {
                write!(f, "proj/{project}:env/{env}:flag/{flag}")
            }
            ResourceSpec::Segment { project, segment } => {
                write!(f, "proj/{project}:segment/{segment}")
            }
            ResourceSpec::Webhook(p) => write!(f, "webhook/{p}"),
            ResourceSpec::Integration(p) => write!(f, "integration/{p}"),
            ResourceSpec::Token { owner: OwnerPattern::Any, token } => write!(f, "token/{token}"),
            ResourceSpec::Token { owner: OwnerPattern::Member(glob), token } => {
                write!(f, "member/{glob}:token/{token}")
            }
            ResourceSpec::Token { owner: OwnerPattern::Myself, token } => {
                write!(f, "member/{SELF}:token/{token}")
            }
            ResourceSpec::Role(p) => write!(f, "role/{p}"),
        }
    }
}

/// How a specifier must relate to a resource for a statement to apply. The two differ only
/// for a flag in all environments (`env: None`): an action on it touches every environment,
/// so an allow must cover them all (`env/*` without tags) while a deny applies as soon as it
/// names any environment. For every other resource both mean "matches".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    Covers,
    Touches,
}

impl Reach {
    pub(crate) fn opposite(self) -> Reach {
        match self {
            Reach::Covers => Reach::Touches,
            Reach::Touches => Reach::Covers,
        }
    }
}

const SELF: &str = "$self";

struct DisplayNamed<'a>(&'a Named);

impl fmt::Display for DisplayNamed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.key)?;
        write_tags(f, &self.0.tags)
    }
}

fn write_tags(f: &mut fmt::Formatter<'_>, tags: &BTreeSet<String>) -> fmt::Result {
    for (i, tag) in tags.iter().enumerate() {
        f.write_str(if i == 0 { ";" } else { "," })?;
        f.write_str(tag)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Spec,
    Concrete,
}

/// The chains of segment kinds the grammar allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Project,
    Environment,
    Flag,
    FlagAllEnvs,
    Segment,
    Webhook,
    Integration,
    Token,
    OwnedToken,
    Role,
}

/// One `kind/text[;tags]` segment, validated.
struct Part<'a> {
    text: &'a str,
    tags: BTreeSet<String>,
}

const KINDS: [&str; 9] =
    ["proj", "env", "flag", "segment", "webhook", "integration", "token", "member", "role"];

/// Splits `input` into segments, checks every piece, and works out which chain it is.
fn parse_parts(input: &str, mode: Mode) -> Result<(Shape, Vec<Part<'_>>), ParseError> {
    if input.is_empty() {
        return Err(ParseError::new(0, ParseErrorKind::MissingSegment));
    }
    let mut parts = Vec::new();
    let mut words: Vec<(&str, usize)> = Vec::new();
    let mut start = 0;
    for segment in input.split(':') {
        let (word, rest) = segment.split_once('/').ok_or_else(|| {
            let kind = if segment.is_empty() {
                ParseErrorKind::MissingSegment
            } else {
                ParseErrorKind::MissingSlash
            };
            ParseError::new(start + segment.len(), kind)
        })?;
        if !KINDS.contains(&word) {
            return Err(ParseError::new(start, ParseErrorKind::UnknownKind(word.to_owned())));
        }
        let text_pos = start + word.len() + 1;
        let (text, tag_text) = match rest.split_once(';') {
            Some((text, tags)) => (text, Some(tags)),
            None => (rest, None),
        };
        let self_owner = mode == Mode::Spec && word == "member" && text == SELF;
        if !self_owner {
            let rule = match mode {
                Mode::Spec => CharRule::Glob,
                Mode::Concrete => CharRule::Literal,
            };
            check_chars(text, text_pos, rule)?;
        }
        let mut tags = BTreeSet::new();
        if let Some(tag_text) = tag_text {
            let mut tag_pos = text_pos + text.len() + 1;
            if word == "member" {
                return Err(ParseError::new(tag_pos - 1, ParseErrorKind::TagsNotAllowed));
            }
            for tag in tag_text.split(',') {
                check_chars(tag, tag_pos, CharRule::Literal)?;
                tags.insert(tag.to_owned());
                tag_pos += tag.len() + 1;
            }
        }
        words.push((word, start));
        parts.push(Part { text, tags });
        start += segment.len() + 1;
    }
    Ok((shape(&words, mode)?, parts))
}

/// Walks the chain of segment kinds; errors name the first segment that cannot come where
/// it is.
fn shape(words: &[(&str, usize)], mode: Mode) -> Result<Shape, ParseError> {
    let names: Vec<&str> = words.iter().map(|(word, _)| *word).collect();
    let shape = match (names.as_slice(), mode) {
        (["proj"], _) => Some(Shape::Project),
        (["proj", "env"], _) => Some(Shape::Environment),
        (["proj", "env", "flag"], _) => Some(Shape::Flag),
        (["proj", "flag"], Mode::Concrete) => Some(Shape::FlagAllEnvs),
        (["proj", "segment"], _) => Some(Shape::Segment),
        (["webhook"], _) => Some(Shape::Webhook),
        (["integration"], _) => Some(Shape::Integration),
        (["token"], Mode::Spec) => Some(Shape::Token),
        (["member", "token"], _) => Some(Shape::OwnedToken),
        (["role"], _) => Some(Shape::Role),
        _ => None,
    };
    if let Some(shape) = shape {
        return Ok(shape);
    }
    // Find where it went wrong, to point there.
    let mut previous: Option<&str> = None;
    for &(word, pos) in words {
        let hint = match (previous, word, mode) {
            (None, "proj" | "webhook" | "integration" | "role" | "member", _) => None,
            (None, "token", Mode::Spec) => None,
            (None, "token", Mode::Concrete) => {
                Some("a concrete token names its owner: member/<name>:token/<key>")
            }
            (None, _, _) => {
                Some("a resource starts with proj, webhook, integration, token, member or role")
            }
            (Some("proj"), "env" | "segment", _) | (Some("proj"), "flag", Mode::Concrete) => None,
            (Some("proj"), "flag", _) => {
                Some("a flag specifier needs an environment; use env/* for all of them")
            }
            (Some("proj"), _, _) => Some("only env or segment can follow proj"),
            (Some("env"), "flag", _) => None,
            (Some("env"), _, _) => Some("only flag can follow env"),
            (Some("member"), "token", _) => None,
            (Some("member"), _, _) => Some("only token can follow member"),
            (Some(_), _, _) => Some("nothing can follow this segment"),
        };
        if let Some(hint) = hint {
            return Err(ParseError::new(
                pos,
                ParseErrorKind::UnexpectedSegment { found: word.to_owned(), hint },
            ));
        }
        previous = Some(word);
    }
    // Every segment was fine where it was, so the chain stopped too early (`member/x`).
    let end = words.last().map_or(0, |(_, pos)| *pos);
    Err(ParseError::new(
        end,
        ParseErrorKind::UnexpectedSegment {
            found: "member".to_owned(),
            hint: "member must be followed by :token/<glob>",
        },
    ))
}
