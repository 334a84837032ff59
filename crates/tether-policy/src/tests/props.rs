//! Property tests: round trips, deny-all, monotone union, the glob against a reference.

use proptest::prelude::*;
use proptest::sample::select;

use crate::*;

// --- generators over small pools, so that specifiers and resources often meet ---

const KEYS: [&str; 6] = ["checkout", "search", "production", "dev", "new-ui", "a"];
// `*` several times over: most statements should reach something.
const GLOBS: [&str; 14] = [
    "*",
    "*",
    "*",
    "checkout",
    "search",
    "c*",
    "?ev",
    "production",
    "dev",
    "new-*",
    "a",
    "*e*",
    "??",
    "**",
];
const TAGS: [&str; 3] = ["x", "y", "z"];
const ACTION_PATTERNS: [&str; 12] = [
    "*",
    "update*",
    "updateOn",
    "view*",
    "*Flag*",
    "createFlagLink",
    "deleteProject",
    "*Token",
    "viewProject",
    "*Webhook",
    "create*",
    "??????Role",
];
const MEMBERS: [&str; 2] = ["alice", "bob"];

fn tags() -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(select(&TAGS[..]), 0..3)
}

fn named() -> impl Strategy<Value = Named> {
    (select(&KEYS[..]), tags()).prop_map(|(key, tags)| Named::with_tags(key, tags))
}

fn resource_of(kind: ResourceKind) -> BoxedStrategy<Resource> {
    match kind {
        ResourceKind::Project => named().prop_map(Resource::Project).boxed(),
        ResourceKind::Environment => (named(), named())
            .prop_map(|(project, env)| Resource::Environment { project, env })
            .boxed(),
        ResourceKind::Flag => (named(), proptest::option::of(named()), named())
            .prop_map(|(project, env, flag)| Resource::Flag { project, env, flag })
            .boxed(),
        ResourceKind::Segment => (named(), named())
            .prop_map(|(project, segment)| Resource::Segment { project, segment })
            .boxed(),
        ResourceKind::Webhook => named().prop_map(Resource::Webhook).boxed(),
        ResourceKind::Integration => named().prop_map(Resource::Integration).boxed(),
        ResourceKind::Token => (select(&MEMBERS[..]), named())
            .prop_map(|(owner, token)| Resource::Token { owner: owner.to_owned(), token })
            .boxed(),
        ResourceKind::Role => named().prop_map(Resource::Role).boxed(),
    }
}

/// An action and a resource, nearly always of the kind the action works on (a mismatch is
/// always denied, so it says little).
fn request() -> impl Strategy<Value = (Action, Resource)> {
    (action(), 0..10u8).prop_flat_map(|(action, dice)| {
        let resource = if dice == 0 { resource() } else { resource_of(action.kind()) };
        (Just(action), resource)
    })
}

fn resource() -> BoxedStrategy<Resource> {
    prop_oneof![
        named().prop_map(Resource::Project),
        (named(), named()).prop_map(|(project, env)| Resource::Environment { project, env }),
        (named(), proptest::option::of(named()), named())
            .prop_map(|(project, env, flag)| Resource::Flag { project, env, flag }),
        (named(), named()).prop_map(|(project, segment)| Resource::Segment { project, segment }),
        named().prop_map(Resource::Webhook),
        named().prop_map(Resource::Integration),
        (select(&MEMBERS[..]), named())
            .prop_map(|(owner, token)| Resource::Token { owner: owner.to_owned(), token }),
        named().prop_map(Resource::Role),
    ]
    .boxed()
}

/// Specifiers from a glob strategy, so the same shape serves pool globs and random ones.
fn spec_with(
    glob: BoxedStrategy<String>,
    tags: BoxedStrategy<Vec<String>>,
) -> BoxedStrategy<ResourceSpec> {
    let pattern = (glob.clone(), tags).prop_map(|(glob, tags)| {
        Pattern::new(Glob::new(&glob).expect("generated glob"), tags).expect("generated tags")
    });
    let owner = prop_oneof![
        Just(OwnerPattern::Any),
        Just(OwnerPattern::Myself),
        glob.prop_map(|g| OwnerPattern::Member(Glob::new(&g).expect("generated glob"))),
    ];
    prop_oneof![
        pattern.clone().prop_map(ResourceSpec::Project),
        (pattern.clone(), pattern.clone())
            .prop_map(|(project, env)| ResourceSpec::Environment { project, env }),
        (pattern.clone(), pattern.clone(), pattern.clone())
            .prop_map(|(project, env, flag)| ResourceSpec::Flag { project, env, flag }),
        (pattern.clone(), pattern.clone())
            .prop_map(|(project, segment)| ResourceSpec::Segment { project, segment }),
        pattern.clone().prop_map(ResourceSpec::Webhook),
        pattern.clone().prop_map(ResourceSpec::Integration),
        (owner, pattern.clone()).prop_map(|(owner, token)| ResourceSpec::Token { owner, token }),
        pattern.prop_map(ResourceSpec::Role),
    ]
    .boxed()
}

fn pool_spec() -> BoxedStrategy<ResourceSpec> {
    let glob = select(&GLOBS[..]).prop_map(str::to_owned).boxed();
    let tags = proptest::collection::vec(select(&TAGS[..]).prop_map(str::to_owned), 0..2).boxed();
    spec_with(glob, tags)
}

fn random_spec() -> BoxedStrategy<ResourceSpec> {
    // Any character the grammar allows in a glob, including non-ASCII ones.
    let glob = "[a-zA-Z0-9*?._@+é-]{1,8}".boxed();
    let tags = proptest::collection::vec("[a-z0-9_.é-]{1,5}", 0..4).boxed();
    spec_with(glob, tags)
}

fn statement() -> impl Strategy<Value = Statement> {
    let patterns = proptest::collection::vec(
        select(&ACTION_PATTERNS[..]).prop_map(|p| ActionPattern::new(p).expect("pool pattern")),
        1..3,
    );
    let actions = prop_oneof![
        patterns.clone().prop_map(ActionSet::Actions),
        patterns.prop_map(ActionSet::NotActions)
    ];
    let specs = proptest::collection::vec(pool_spec(), 1..3);
    let resources = prop_oneof![
        specs.clone().prop_map(ResourceSet::Resources),
        specs.prop_map(ResourceSet::NotResources)
    ];
    let effect = prop_oneof![Just(Effect::Allow), Just(Effect::Deny)];
    (effect, actions, resources)
        .prop_map(|(e, a, r)| Statement::new(e, a, r).expect("non-empty lists"))
}

fn role() -> impl Strategy<Value = Role> {
    proptest::collection::vec(statement(), 0..5)
        .prop_map(|statements| Role::new("generated", statements))
}

fn roles() -> impl Strategy<Value = Vec<Role>> {
    proptest::collection::vec(role(), 0..3)
}

fn action() -> impl Strategy<Value = Action> {
    select(CATALOGUE).prop_map(|info| info.action)
}

fn deny_all() -> Statement {
    Statement::new(
        Effect::Deny,
        ActionSet::Actions(vec![ActionPattern::any()]),
        ResourceSet::Resources(ResourceSpec::everything()),
    )
    .expect("non-empty lists")
}

/// The obvious exponential matcher, as the reference for the real one.
fn reference_glob(pattern: &[char], text: &[char]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, _) => text.is_empty(),
        (Some(('*', rest)), _) => {
            reference_glob(rest, text) || (!text.is_empty() && reference_glob(pattern, &text[1..]))
        }
        (Some(('?', rest)), Some((_, text_rest))) => reference_glob(rest, text_rest),
        (Some((p, rest)), Some((t, text_rest))) => p == t && reference_glob(rest, text_rest),
        (Some(_), None) => false,
    }
}

proptest! {
    #[test]
    fn spec_display_parses_back(spec in random_spec()) {
        let text = spec.to_string();
        prop_assert_eq!(ResourceSpec::parse(&text), Ok(spec), "{}", text);
    }

    #[test]
    fn statement_display_parses_back(statement in statement()) {
        let text = statement.to_string();
        prop_assert_eq!(Statement::parse(&text), Ok(statement), "{}", text);
    }

    #[test]
    fn deny_all_in_a_role_denies_everything(
        mut others in proptest::collection::vec(statement(), 0..5),
        at in 0usize..6,
        more_roles_with_it in 0usize..3,
        (action, resource) in request(),
    ) {
        others.insert(at.min(others.len()), deny_all());
        let role = Role::new("locked", others);
        let principal = Principal::member("alice", vec![role; more_roles_with_it + 1]);
        prop_assert!(!principal.can(action, &resource));
        // and a token can never get past a creator locked that way
        let token = Principal::token("ci", vec![Role::admin()], principal);
        prop_assert!(!token.can(action, &resource));
    }

    #[test]
    fn adding_a_role_never_removes_access(
        base in roles(),
        extra in role(),
        creator_roles in roles(),
        owner in select(&MEMBERS[..]),
        (action, resource) in request(),
    ) {
        let before = Principal::member(owner, base.clone());
        let mut more = base.clone();
        more.push(extra.clone());
        let after = Principal::member(owner, more.clone());
        prop_assert!(!before.can(action, &resource) || after.can(action, &resource));

        // same for a token's roles and for its creator's roles
        let creator = Principal::member(owner, creator_roles.clone());
        let token_before = Principal::token("ci", base, creator.clone());
        let token_after = Principal::token("ci", more, creator);
        prop_assert!(!token_before.can(action, &resource) || token_after.can(action, &resource));
        let mut richer_creator = creator_roles.clone();
        richer_creator.push(extra);
        let token_richer = Principal::token("ci", token_before.roles().to_vec(), Principal::member(owner, richer_creator));
        prop_assert!(!token_before.can(action, &resource) || token_richer.can(action, &resource));
    }

    #[test]
    fn token_never_exceeds_creator(token_roles in roles(), creator_roles in roles(), (action, resource) in request()) {
        let creator = Principal::member("alice", creator_roles);
        let token = Principal::token("ci", token_roles, creator.clone());
        prop_assert!(!token.can(action, &resource) || creator.can(action, &resource));
    }

    #[test]
    fn glob_agrees_with_reference(pattern in "[ab*?]{1,7}", text in "[abc]{0,8}") {
        let glob = Glob::new(&pattern).expect("generated glob");
        let pattern_chars: Vec<char> = pattern.chars().collect();
        let text_chars: Vec<char> = text.chars().collect();
        prop_assert_eq!(glob.matches(&text), reference_glob(&pattern_chars, &text_chars));
    }

    #[test]
    fn parsers_never_panic(input in "\\PC{0,40}", grammarish in "[a-z/:;,*?$ ]{0,40}") {
        for text in [&input, &grammarish] {
            let _ = ResourceSpec::parse(text);
            let _ = text.parse::<Resource>();
            let _ = Statement::parse(text);
            let _ = Role::parse("r", text);
            let _ = ActionPattern::new(text);
            let _ = Glob::new(text).map(|g| g.matches(text));
        }
    }

    #[test]
    fn concrete_resource_display_parses_back(resource in resource()) {
        let text = resource.to_string();
        prop_assert_eq!(text.parse::<Resource>(), Ok(resource), "{}", text);
    }
}
