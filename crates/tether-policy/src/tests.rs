//! Table-driven tests through the public surface: one line per case.

mod props;

use crate::*;

/// Renders a decision in one short line: `allow`, `deny <principal>/<role>#<statement>`,
/// `none <principal>` (nothing matched), with `creator ` before the principal when it is the
/// token's creator that refused.
fn summary(decision: &Decision) -> String {
    let who = |principal: &str, is_creator: &bool| {
        if *is_creator { format!("creator {principal}") } else { principal.to_owned() }
    };
    match decision {
        Decision::Allow => "allow".to_owned(),
        Decision::Deny { reason, .. } => match reason {
            DenyReason::ExplicitDeny { principal, is_creator, role, statement_index, .. } => {
                format!("deny {}/{role}#{statement_index}", who(principal, is_creator))
            }
            DenyReason::NoStatementMatched { principal, is_creator } => {
                format!("none {}", who(principal, is_creator))
            }
            DenyReason::WrongResourceKind { expected, found } => {
                format!("kind {expected} not {found}")
            }
        },
    }
}

fn action(name: &str) -> Action {
    Action::from_name(name).unwrap_or_else(|| panic!("test names unknown action {name}"))
}

fn resource(text: &str) -> Resource {
    text.parse().unwrap_or_else(|e| panic!("test resource {text}: {e}"))
}

/// Roles r0, r1, … each given as statements separated by `|`.
fn roles(texts: &[&str]) -> Vec<Role> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            Role::parse(format!("r{i}"), &text.replace('|', "\n"))
                .unwrap_or_else(|e| panic!("role {text}: {e}"))
        })
        .collect()
}

/// Parse result as a string: the Display of what was parsed, or `error: ...`.
fn parsed<T: std::fmt::Display, E: std::fmt::Display>(result: Result<T, E>) -> String {
    match result {
        Ok(value) => value.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
#[rustfmt::skip] // one case per line
fn glob_matching() {
    #[track_caller]
    fn check(pattern: &str, text: &str, expected: bool) {
        let glob = Glob::new(pattern).unwrap();
        assert_eq!(glob.matches(text), expected, "{pattern} vs {text:?}");
    }
    check("checkout", "checkout", true);
    check("checkout", "checkout2", false); // anchored at the end
    check("checkout", "my-checkout", false); // anchored at the start
    check("check*", "checkout", true);
    check("check*", "check", true); // `*` may match nothing
    check("*out", "checkout", true);
    check("*", "", true);
    check("*", "anything at all", true);
    check("c*t", "ct", true);
    check("c*t", "checkout", true);
    check("c*t", "checkouts", false);
    check("?", "a", true);
    check("?", "", false);
    check("?", "ab", false);
    check("n?w-ui", "new-ui", true);
    check("n?w-ui", "nw-ui", false);
    check("*-ui", "new-ui", true);
    check("*a*b", "xaxxb", true);
    check("*a*b", "xaxxbc", false);
    check("a*b*c", "abbbc", true);
    check("a*b*c", "acb", false);
    check("**", "x", true);
    check("?*", "", false);
    check("é?", "éa", true); // characters, not bytes
    check("Checkout", "checkout", false); // case-sensitive
    check("*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false); // no blow-up
}

#[test]
#[rustfmt::skip] // one case per line
fn glob_validation() {
    #[track_caller]
    fn check(pattern: &str, expected: &str) {
        assert_eq!(parsed(Glob::new(pattern)), expected);
    }
    check("new-ui", "new-ui");
    check("a.b_c@d+e", "a.b_c@d+e");
    check("", "error: empty key, pattern or tag (at byte 0)");
    check("a:b", "error: character `:` is not allowed here (at byte 1)");
    check("a b", "error: character ` ` is not allowed here (at byte 1)");
    check("ab$", "error: character `$` is not allowed here (at byte 2)");
}

#[test]
#[rustfmt::skip] // one case per line
fn resource_spec_parsing() {
    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(parsed(ResourceSpec::parse(input)), expected, "{input}");
    }
    check("proj/*", "proj/*");
    check("proj/check?ut", "proj/check?ut");
    check("proj/*;mobile,beta", "proj/*;beta,mobile"); // tags are a set, printed sorted
    check("proj/*;beta,beta", "proj/*;beta");
    check("proj/*:env/production", "proj/*:env/production");
    check("proj/*:env/production;critical", "proj/*:env/production;critical");
    check("proj/*;mobile:env/prod*:flag/new-*;beta", "proj/*;mobile:env/prod*:flag/new-*;beta");
    check("proj/checkout:segment/*", "proj/checkout:segment/*");
    check("webhook/*", "webhook/*");
    check("integration/jira-*", "integration/jira-*");
    check("token/*", "token/*");
    check("member/alice:token/*", "member/alice:token/*");
    check("member/$self:token/ci-*", "member/$self:token/ci-*");
    check("role/*", "role/*");
    // errors: position and message
    check("", "error: expected a resource segment such as `proj/<glob>` (at byte 0)");
    check("proj", "error: expected `/` after the resource kind (at byte 4)");
    check("proj/", "error: empty key, pattern or tag (at byte 5)");
    check("proj/*:", "error: expected a resource segment such as `proj/<glob>` (at byte 7)");
    check("project/*", "error: unknown resource kind `project`; expected proj, env, flag, segment, webhook, integration, token, member or role (at byte 0)");
    check("proj/a/b", "error: character `/` is not allowed here (at byte 6)");
    check("proj/a b", "error: character ` ` is not allowed here (at byte 6)");
    check("proj/a,b", "error: character `,` is not allowed here (at byte 6)");
    check("proj/*;", "error: empty key, pattern or tag (at byte 7)");
    check("proj/*;a,,b", "error: empty key, pattern or tag (at byte 9)");
    check("proj/*;be*ta", "error: character `*` is not allowed here (at byte 9)");
    check("proj/*:flag/*", "error: `flag` is not allowed here: a flag specifier needs an environment; use env/* for all of them (at byte 7)");
    check("env/*", "error: `env` is not allowed here: a resource starts with proj, webhook, integration, token, member or role (at byte 0)");
    check("proj/*:env/*:segment/*", "error: `segment` is not allowed here: only flag can follow env (at byte 13)");
    check("proj/*:env/*:flag/*:flag/*", "error: `flag` is not allowed here: nothing can follow this segment (at byte 20)");
    check("webhook/*:env/*", "error: `env` is not allowed here: nothing can follow this segment (at byte 10)");
    check("member/alice", "error: `member` is not allowed here: member must be followed by :token/<glob> (at byte 0)");
    check("member/alice;x:token/*", "error: tags are not allowed on a `member` segment (at byte 12)");
    check("proj/$self", "error: character `$` is not allowed here (at byte 5)");
}

#[test]
#[rustfmt::skip] // one case per line
fn resource_parsing() {
    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(parsed(input.parse::<Resource>()), expected, "{input}");
    }
    check("proj/checkout;mobile", "proj/checkout;mobile");
    check("proj/checkout:env/production", "proj/checkout:env/production");
    check("proj/checkout:env/production:flag/new-ui", "proj/checkout:env/production:flag/new-ui");
    check("proj/checkout:flag/new-ui", "proj/checkout:flag/new-ui"); // all environments
    check("member/alice:token/ci", "member/alice:token/ci");
    check("proj/check*", "error: character `*` is not allowed here (at byte 10)");
    check("token/ci", "error: `token` is not allowed here: a concrete token names its owner: member/<name>:token/<key> (at byte 0)");
    check("proj/a:flag/b:env/c", "error: `env` is not allowed here: nothing can follow this segment (at byte 14)");
}

#[test]
#[rustfmt::skip] // one case per line
fn statement_parsing() {
    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(parsed(Statement::parse(input)), expected, "{input}");
    }
    check("allow updateOn on proj/*:env/*:flag/*", "allow updateOn on proj/*:env/*:flag/*");
    check("  deny   update*  createFlag on proj/a proj/b ", "deny update* createFlag on proj/a proj/b");
    check("allow not deleteProject on not proj/prod-*", "allow not deleteProject on not proj/prod-*");
    check("", "error: nothing to parse (at byte 0)");
    check("permit * on proj/*", "error: unknown effect `permit`; expected `allow` or `deny` (at byte 0)");
    check("allow on proj/*", "error: expected at least one action (at byte 6)");
    check("allow not on proj/*", "error: expected at least one action (at byte 10)");
    check("allow updateOn", "error: expected `on` and at least one resource specifier (at byte 14)");
    check("allow updateOn on", "error: expected `on` and at least one resource specifier (at byte 17)");
    check("allow updateon on proj/*", "error: `updateon` matches no known action (at byte 6)");
    check("allow frob* on proj/*", "error: `frob*` matches no known action (at byte 6)");
    check("allow * on proj/* flag/*", "error: `flag` is not allowed here: a resource starts with proj, webhook, integration, token, member or role (at byte 18)");
    check("allow * on proj/*:env/pr od", "error: expected `/` after the resource kind (at byte 27)");
}

#[test]
#[rustfmt::skip] // one case per line
fn role_parsing_positions() {
    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(
            parsed(Role::parse("r", input).map(|r| r.statements.len())),
            expected
        );
    }
    check("# comment\n\nallow * on proj/*\n  deny updateOn on proj/*:env/*:flag/*\n", "2");
    check("allow * on proj/*\n  deny * on proj/a:env", "error: expected `/` after the resource kind (at byte 40)");
}

#[test]
#[rustfmt::skip] // one case per line
fn statement_from_parts() {
    #[track_caller]
    fn check(
        effect: &str,
        actions: Option<&[&str]>,
        not_actions: Option<&[&str]>,
        resources: Option<&[&str]>,
        not_resources: Option<&[&str]>,
        expected: &str,
    ) {
        let result = Statement::from_parts(effect, actions, not_actions, resources, not_resources);
        assert_eq!(parsed(result), expected);
    }
    let some = |items: &'static [&'static str]| Some(items);
    check("allow", some(&["updateOn"]), None, some(&["proj/*:env/*:flag/*"]), None, "allow updateOn on proj/*:env/*:flag/*");
    check("deny", None, some(&["view*"]), None, some(&["proj/a"]), "deny not view* on not proj/a");
    check("Allow", some(&["*"]), None, some(&["proj/*"]), None, "error: unknown effect `Allow`; expected `allow` or `deny`");
    check("allow", some(&["*"]), some(&["*"]), some(&["proj/*"]), None, "error: exactly one of `actions` and `notActions` must be given");
    check("allow", None, None, some(&["proj/*"]), None, "error: exactly one of `actions` and `notActions` must be given");
    check("allow", some(&["*"]), None, None, None, "error: exactly one of `resources` and `notResources` must be given");
    check("allow", some(&["*"]), None, some(&["proj/*"]), some(&["proj/*"]), "error: exactly one of `resources` and `notResources` must be given");
    check("allow", some(&[]), None, some(&["proj/*"]), None, "error: `actions` must not be empty");
    check("allow", some(&["*"]), None, None, some(&[]), "error: `notResources` must not be empty");
    check("allow", some(&["*", "nope"]), None, some(&["proj/*"]), None, "error: `actions[1]`: `nope` matches no known action (at byte 0)");
    check("allow", some(&["*"]), None, some(&["proj/*", "proj/*:env"]), None, "error: `resources[1]`: expected `/` after the resource kind (at byte 10)");
}

#[test]
#[rustfmt::skip] // one case per line
fn evaluation_within_and_across_roles() {
    #[track_caller]
    fn check(role_texts: &[&str], action_name: &str, resource_text: &str, expected: &str) {
        let alice = Principal::member("alice", roles(role_texts));
        let decision = alice.evaluate(action(action_name), &resource(resource_text));
        assert_eq!(
            summary(&decision),
            expected,
            "{role_texts:?} {action_name} {resource_text}"
        );
    }
    let prod_flag = "proj/checkout:env/production:flag/new-ui";
    let dev_flag = "proj/checkout:env/dev:flag/new-ui";
    // nothing matched = denied
    check(&[], "updateOn", prod_flag, "none alice");
    check(&["allow updateOn on proj/*:env/dev:flag/*"], "updateOn", prod_flag, "none alice");
    check(&["allow updateOn on proj/*:env/*:flag/*"], "updateOn", prod_flag, "allow");
    // deny wins inside a role, whatever the order
    check(&["allow * on proj/*:env/*:flag/*|deny updateOn on proj/*:env/production:flag/*"], "updateOn", prod_flag, "deny alice/r0#1");
    check(&["deny updateOn on proj/*:env/production:flag/*|allow * on proj/*:env/*:flag/*"], "updateOn", prod_flag, "deny alice/r0#0");
    check(&["allow * on proj/*:env/*:flag/*|deny updateOn on proj/*:env/production:flag/*"], "updateOn", dev_flag, "allow");
    check(&["allow * on proj/*:env/*:flag/*|deny updateOn on proj/*:env/production:flag/*"], "updateRules", prod_flag, "allow");
    // union across roles: another role's allow beats this role's deny
    check(&[ "deny * on proj/*:env/*:flag/*", "allow updateOn on proj/*:env/*:flag/*", ], "updateOn", prod_flag, "allow");
    check(&[ "deny * on proj/*:env/*:flag/*", "allow updateRules on proj/*:env/*:flag/*", ], "updateOn", prod_flag, "deny alice/r0#0");
    check(&[ "allow createFlag on proj/*:env/*:flag/*", "deny * on proj/*:env/*:flag/*", ], "updateOn", prod_flag, "deny alice/r1#0");
    // action globs
    check(&["allow update* on proj/*:env/*:flag/*"], "updateFallthrough", prod_flag, "allow");
    check(&["allow update* on proj/*:env/*:flag/*"], "copyFlagConfig", prod_flag, "none alice");
    check(&["allow update?n on proj/*:env/*:flag/*"], "updateOn", prod_flag, "allow");
    // notActions
    check(&["allow not updateOn on proj/*:env/*:flag/*"], "updateRules", prod_flag, "allow");
    check(&["allow not updateOn on proj/*:env/*:flag/*"], "updateOn", prod_flag, "none alice");
    check(&["allow * on proj/*:env/*:flag/*|deny not view* on proj/frozen:env/*:flag/*"], "updateOn", "proj/frozen:env/dev:flag/x", "deny alice/r0#1");
    // notResources
    check(&["allow updateOn on not proj/*:env/production:flag/*"], "updateOn", dev_flag, "allow");
    check(&["allow updateOn on not proj/*:env/production:flag/*"], "updateOn", prod_flag, "none alice");
    check(&["allow * on proj/*:env/*:flag/*|deny * on not proj/checkout:env/*:flag/*"], "updateOn", "proj/search:env/dev:flag/x", "deny alice/r0#1");
    check(&["allow * on proj/*:env/*:flag/*|deny * on not proj/checkout:env/*:flag/*"], "updateOn", dev_flag, "allow");
    check(&["allow * on not proj/secret"], "viewProject", "proj/public", "allow"); // notResources spans kinds
    // resource globs: `*`, `?`, anchored
    check(&["allow updateOn on proj/check*:env/*:flag/*"], "updateOn", prod_flag, "allow");
    check(&["allow updateOn on proj/check?ut:env/*:flag/*"], "updateOn", prod_flag, "allow");
    check(&["allow updateOn on proj/check:env/*:flag/*"], "updateOn", prod_flag, "none alice");
    check(&["allow updateOn on proj/*:env/prod:flag/*"], "updateOn", prod_flag, "none alice");
    check(&["allow updateOn on proj/*:env/*:flag/new"], "updateOn", prod_flag, "none alice");
    // tags: the resource must carry all of them
    check(&["allow updateOn on proj/*;mobile:env/*:flag/*"], "updateOn", "proj/app;mobile,web:env/dev:flag/x", "allow");
    check(&["allow updateOn on proj/*;mobile,web:env/*:flag/*"], "updateOn", "proj/app;mobile,web:env/dev:flag/x", "allow");
    check(&["allow updateOn on proj/*;mobile,ios:env/*:flag/*"], "updateOn", "proj/app;mobile,web:env/dev:flag/x", "none alice");
    check(&["allow updateOn on proj/*;mobile:env/*:flag/*"], "updateOn", "proj/app:env/dev:flag/x", "none alice");
    check(&["allow * on proj/*:env/*:flag/*|deny * on proj/*:env/*;critical:flag/*"], "updateOn", "proj/a:env/live;critical:flag/x", "deny alice/r0#1");
    check(&["allow * on proj/*:env/*:flag/*|deny * on proj/*:env/*;critical:flag/*"], "updateOn", "proj/a:env/live:flag/x", "allow");
    check(&["allow updateOn on proj/*:env/*:flag/*;beta"], "updateOn", "proj/a:env/dev:flag/x;beta", "allow");
    // a specifier names one kind: proj/* does not reach the flags inside
    check(&["allow * on proj/*"], "updateOn", prod_flag, "none alice");
    check(&["allow * on proj/*:env/*:flag/*"], "viewProject", "proj/checkout", "none alice");
    // flag in all environments: allows must cover every environment, denies apply if they name any
    check(&["allow deleteFlag on proj/*:env/*:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "allow");
    check(&["allow deleteFlag on proj/*:env/dev:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "none alice");
    check(&["allow deleteFlag on proj/*:env/*;safe:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "none alice");
    check(&["allow * on proj/*:env/*:flag/*|deny deleteFlag on proj/*:env/production:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "deny alice/r0#1");
    check(&["allow * on not proj/*:env/production:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "none alice");
    check(&["allow * on proj/*:env/*:flag/*|deny * on not proj/*:env/dev:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "deny alice/r0#1");
    check(&["allow * on proj/*:env/*:flag/*|deny * on not proj/*:env/*:flag/*"], "deleteFlag", "proj/checkout:flag/new-ui", "allow");
    // the action must fit the resource
    check(&["allow * on not role/none"], "updateOn", "proj/checkout", "kind flag not project");
    // own tokens
    check(&["allow revokeToken on member/$self:token/*"], "revokeToken", "member/alice:token/ci", "allow");
    check(&["allow revokeToken on member/$self:token/*"], "revokeToken", "member/bob:token/ci", "none alice");
    check(&["allow revokeToken on member/b*:token/*"], "revokeToken", "member/bob:token/ci", "allow");
    check(&["allow revokeToken on token/ci-*"], "revokeToken", "member/bob:token/ci-1", "allow");
}

#[test]
#[rustfmt::skip] // one case per line
fn tokens_are_bounded_by_their_creator() {
    #[track_caller]
    fn check(
        token_roles: &[&str],
        creator_roles: &[&str],
        action_name: &str,
        resource_text: &str,
        expected: &str,
    ) {
        let alice = Principal::member("alice", roles(creator_roles));
        let token = Principal::token("ci", roles(token_roles), alice);
        let decision = token.evaluate(action(action_name), &resource(resource_text));
        assert_eq!(
            summary(&decision),
            expected,
            "{token_roles:?} / {creator_roles:?} {action_name} {resource_text}"
        );
    }
    let flag = "proj/checkout:env/production:flag/new-ui";
    check(&["allow * on proj/*:env/*:flag/*"], &["allow * on proj/*:env/*:flag/*"], "updateOn", flag, "allow");
    // the token asks for more than its creator has
    check(&["allow * on proj/*:env/*:flag/*"], &["allow updateRules on proj/*:env/*:flag/*"], "updateOn", flag, "none creator alice");
    check(&["allow * on proj/*:env/*:flag/*"], &["allow * on proj/*:env/*:flag/*|deny updateOn on proj/*:env/production:flag/*"], "updateOn", flag, "deny creator alice/r0#1");
    // the creator has more than the token
    check(&["allow updateRules on proj/*:env/*:flag/*"], &["allow * on proj/*:env/*:flag/*"], "updateOn", flag, "none ci");
    check(&[], &["allow * on proj/*:env/*:flag/*"], "updateOn", flag, "none ci");
}

#[test]
fn token_chains_and_owner() {
    let alice = Principal::member("alice", vec![Role::writer()]);
    let ci = Principal::token("ci", vec![Role::admin()], alice);
    let nested = Principal::token("nested", vec![Role::admin()], ci.clone());
    assert_eq!((ci.owner(), nested.owner()), ("alice", "alice"));
    // admin token of a writer: still no role changes, and the refusal names the creator
    let decision = nested.evaluate(Action::CreateRole, &resource("role/qa"));
    assert_eq!(summary(&decision), "none creator alice");
    // writer may revoke tokens owned by its member, through any token of that member
    assert_eq!(
        summary(&nested.evaluate(Action::RevokeToken, &resource("member/alice:token/old"))),
        "allow"
    );
    assert_eq!(
        summary(&nested.evaluate(Action::RevokeToken, &resource("member/bob:token/old"))),
        "none creator alice"
    );
}

#[test]
#[rustfmt::skip] // one case per line
fn built_in_roles() {
    #[track_caller]
    fn check(role: &str, action_name: &str, resource_text: &str, expected: bool) {
        let role = match role {
            "reader" => Role::reader(),
            "writer" => Role::writer(),
            "admin" => Role::admin(),
            "jira" => Role::jira_integration(),
            other => panic!("no built-in role {other}"),
        };
        let alice = Principal::member("alice", vec![role.clone()]);
        let allowed = alice.can(action(action_name), &resource(resource_text));
        assert_eq!(
            allowed, expected,
            "{} {action_name} {resource_text}",
            role.name
        );
    }
    let flag = "proj/checkout:env/production:flag/new-ui";
    let all_envs = "proj/checkout:flag/new-ui";
    check("reader", "viewProject", "proj/checkout", true);
    check("reader", "viewWebhook", "webhook/slack", true);
    check("reader", "viewIntegration", "integration/jira", true);
    check("reader", "viewTickets", "integration/jira", true);
    check("reader", "updateIngestion", "integration/jira", false);
    check("reader", "viewToken", "member/bob:token/ci", true);
    check("reader", "viewRole", "role/qa", true);
    check("reader", "viewSdkKey", "proj/checkout:env/production", false);
    check("reader", "updateOn", flag, false);
    check("reader", "createFlag", all_envs, false);
    check("reader", "updateProject", "proj/checkout", false);
    check("writer", "viewProject", "proj/checkout", true);
    check("writer", "createProject", "proj/new", true);
    check("writer", "deleteProject", "proj/checkout", true);
    check("writer", "createEnvironment", "proj/checkout:env/qa", true);
    check("writer", "viewSdkKey", "proj/checkout:env/production", true);
    check("writer", "updateOn", flag, true);
    check("writer", "createFlag", all_envs, true);
    check("writer", "deleteFlag", all_envs, true);
    check("writer", "createFlagLink", all_envs, true);
    check("writer", "updateSegment", "proj/checkout:segment/beta", true);
    check("writer", "createWebhook", "webhook/slack", true);
    check("writer", "createToken", "member/alice:token/ci", true);
    check("writer", "revokeToken", "member/alice:token/ci", true);
    check("writer", "revokeToken", "member/bob:token/ci", false);
    check("writer", "createToken", "member/bob:token/ci", false);
    check("writer", "viewIntegration", "integration/jira", true);
    check("writer", "createIntegration", "integration/jira", false);
    check("writer", "updateIntegration", "integration/jira", false);
    check("writer", "updateIngestion", "integration/jira", false);
    check("writer", "deleteIngestedData", "integration/jira", false);
    check("writer", "createRole", "role/qa", false);
    check("writer", "updateRole", "role/writer", false);
    check("admin", "updateRole", "role/writer", true);
    check("admin", "revokeToken", "member/bob:token/ci", true);
    check("admin", "deleteIntegration", "integration/jira", true);
    check("reader", "viewRepository", "integration/shop", true);
    check("reader", "updateRepository", "integration/shop", false);
    check("writer", "createRepository", "integration/shop", false);
    check("admin", "deleteRepository", "integration/shop", true);
    check("admin", "deleteFlag", all_envs, true);
    check("admin", "viewSdkKey", "proj/checkout:env/production", true);
    check("jira", "createFlagLink", all_envs, true);
    check("jira", "updateFlagLink", all_envs, true);
    check("jira", "deleteFlagLink", all_envs, true);
    check("jira", "createWebhook", "webhook/jira", true);
    check("jira", "updateWebhook", "webhook/jira", true);
    check("jira", "deleteWebhook", "webhook/jira", true);
    check("jira", "viewProject", "proj/checkout", true);
    check("jira", "updateOn", flag, false); // cannot toggle flags
    check("jira", "updateOn", "proj/checkout:env/dev:flag/new-ui", false);
    check("jira", "updateRules", flag, false);
    check("jira", "createFlag", all_envs, false);
    check("jira", "viewSdkKey", "proj/checkout:env/production", false);
    check("jira", "viewWebhook", "webhook/jira", false);
    check("jira", "createToken", "member/alice:token/x", false);
}

#[test]
fn jira_integration_allowed_actions() {
    let admin = Principal::member("admin", vec![Role::admin()]);
    let jira = Principal::token("jira", vec![Role::jira_integration()], admin);
    let names = |resource_text: &str| -> Vec<&str> {
        allowed_actions(&jira, &resource(resource_text)).into_iter().map(Action::name).collect()
    };
    assert_eq!(
        names("proj/checkout:flag/new-ui"),
        ["createFlagLink", "updateFlagLink", "deleteFlagLink"]
    );
    assert_eq!(
        names("proj/checkout:env/production:flag/new-ui"),
        ["createFlagLink", "updateFlagLink", "deleteFlagLink"]
    );
    assert_eq!(names("webhook/jira"), ["createWebhook", "updateWebhook", "deleteWebhook"]);
    assert_eq!(names("proj/checkout"), ["viewProject"]);
    assert_eq!(names("proj/checkout:env/production"), Vec::<&str>::new());
}

#[test]
#[rustfmt::skip] // one case per line
fn project_view_permissions() {
    let projects = [
        Named::new("checkout"),
        Named::with_tags("search", ["internal"]),
        Named::new("payments"),
        Named::with_tags("ledger", ["internal", "finance"]),
    ];
    #[track_caller]
    fn check(projects: &[Named], role_texts: &[&str], expected: &[&str]) {
        let member = Principal::member("m", roles(role_texts));
        let visible: Vec<&str> = visible_projects(&member, projects)
            .into_iter()
            .map(|p| p.key.as_str())
            .collect();
        assert_eq!(visible, expected, "{role_texts:?}");
        for project in projects {
            assert_eq!(
                can_view_project(&member, project),
                expected.contains(&project.key.as_str())
            );
        }
    }
    check(&projects, &[], &[]);
    check(&projects, &["allow viewProject on proj/*"], &["checkout", "search", "payments", "ledger"]);
    check(&projects, &["allow viewProject on proj/*;internal"], &["search", "ledger"]);
    check(&projects, &["allow viewProject on proj/*|deny viewProject on proj/*;finance"], &["checkout", "search", "payments"]);
    check(&projects, &[ "allow viewProject on proj/p*", "allow viewProject on proj/c*", ], &["checkout", "payments"]);
    check(&projects, &["allow * on proj/*:env/*:flag/*"], &[]); // flag rights do not imply seeing the project
}

#[test]
#[rustfmt::skip] // one case per line
fn deny_messages() {
    #[track_caller]
    fn check(principal: &Principal, action: Action, resource_text: &str, expected: &str) {
        assert_eq!(
            principal
                .evaluate(action, &resource(resource_text))
                .to_string(),
            expected
        );
    }
    let alice = Principal::member(
        "alice",
        vec![
            Role::writer(),
            roles(&["deny updateOn on proj/*:env/production:flag/*"]).remove(0),
        ],
    );
    let jira = Principal::token("jira", vec![Role::jira_integration()], alice.clone());
    check(&alice, Action::UpdateOn, "proj/checkout:env/dev:flag/new-ui", "allowed");
    check(&jira, Action::UpdateOn, "proj/checkout:env/production:flag/new-ui", "`updateOn` on `proj/checkout:env/production:flag/new-ui` denied: no statement in the roles of `jira` allows it");
    check(&jira, Action::CreateRole, "role/qa", "`createRole` on `role/qa` denied: no statement in the roles of `jira` allows it");
    check(&alice, Action::UpdateRole, "role/qa", "`updateRole` on `role/qa` denied: no statement in the roles of `alice` allows it");
    let token = Principal::token("ci", vec![Role::admin()], alice.clone());
    check(&token, Action::UpdateRole, "role/qa", "`updateRole` on `role/qa` denied: no statement in the roles of `alice` (which created the token) allows it");
    // writer allows it, so the explicit deny in r0 is outvoted by the union...
    check(&alice, Action::UpdateOn, "proj/checkout:env/production:flag/new-ui", "allowed");
    // ...but alone it explains itself
    let bob = Principal::member(
        "bob",
        roles(&[
            "allow * on proj/*:env/*:flag/*|deny updateOn on proj/*:env/production;critical:flag/*",
        ]),
    );
    check(&bob, Action::UpdateOn, "proj/checkout:env/production;critical:flag/new-ui", "`updateOn` on `proj/checkout:env/production;critical:flag/new-ui` denied: explicitly denied by statement 2 of role `r0` of `bob`: `deny updateOn on proj/*:env/production;critical:flag/*`");
    check(&bob, Action::ViewProject, "proj/checkout:env/production", "`viewProject` on `proj/checkout:env/production` denied: the action applies to a project, not a environment");
}

#[test]
fn catalogue() {
    let required = [
        "viewProject",
        "createProject",
        "updateProject",
        "deleteProject",
        "createEnvironment",
        "updateEnvironment",
        "deleteEnvironment",
        "viewSdkKey",
        "createFlag",
        "updateFlag",
        "deleteFlag",
        "updateOn",
        "updateRules",
        "updateFallthrough",
        "updateTargets",
        "updateOffVariation",
        "copyFlagConfig",
        "createFlagLink",
        "deleteFlagLink",
        "updateFlagLink",
        "createSegment",
        "updateSegment",
        "deleteSegment",
        "createWebhook",
        "updateWebhook",
        "deleteWebhook",
        "viewWebhook",
        "createIntegration",
        "updateIntegration",
        "deleteIntegration",
        "viewIntegration",
        "viewTickets",
        "updateIngestion",
        "deleteIngestedData",
        "createToken",
        "revokeToken",
        "viewToken",
        "createRole",
        "updateRole",
        "deleteRole",
    ];
    for name in required {
        assert!(Action::from_name(name).is_some(), "{name} missing from the catalogue");
    }
    let mut names: Vec<&str> = CATALOGUE.iter().map(|info| info.name).collect();
    for info in CATALOGUE {
        assert_eq!(Action::from_name(info.name), Some(info.action));
        assert_eq!(
            (info.action.name(), info.action.kind(), info.action.description()),
            (info.name, info.kind, info.description)
        );
        assert!(!info.description.is_empty() && !info.description.contains('\n'), "{}", info.name);
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CATALOGUE.len(), "action names are unique");
    let markdown = actions_markdown();
    assert!(CATALOGUE.iter().all(|info| markdown.contains(&format!("| `{}` |", info.name))));
    assert!(markdown.starts_with(
        "### project — `proj/<glob>[;tags]`\n\n| action | allows |\n|---|---|\n| `viewProject` |"
    ));
}

#[test]
#[rustfmt::skip] // one case per line
fn action_patterns() {
    #[track_caller]
    fn check(pattern: &str, expected: &str) {
        let result = ActionPattern::new(pattern).map(|p| {
            p.expand()
                .into_iter()
                .map(Action::name)
                .collect::<Vec<_>>()
                .join(" ")
        });
        assert_eq!(parsed(result), expected);
    }
    check("updateOn", "updateOn");
    check("*Webhook", "createWebhook updateWebhook deleteWebhook viewWebhook");
    check("*FlagLink", "createFlagLink updateFlagLink deleteFlagLink");
    check("view*", "viewProject viewSdkKey viewWebhook viewIntegration viewRepository viewTickets viewToken viewRole");
    check("update?n", "updateOn");
    check("UpdateOn", "error: `UpdateOn` matches no known action (at byte 0)");
    check("", "error: empty key, pattern or tag (at byte 0)");
}

#[test]
fn built_in_roles_print_as_parseable_text() {
    for role in [Role::reader(), Role::writer(), Role::admin(), Role::jira_integration()] {
        for statement in &role.statements {
            let text = statement.to_string();
            assert_eq!(Statement::parse(&text).as_ref(), Ok(statement), "{}: {text}", role.name);
        }
    }
    assert_eq!(
        Role::writer().statements.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "allow viewProject viewWebhook viewIntegration viewRepository viewTickets viewToken viewRole on proj/* proj/*:env/* proj/*:env/*:flag/* proj/*:segment/* webhook/* integration/* token/* role/*",
            "allow * on proj/* proj/*:env/* proj/*:env/*:flag/* proj/*:segment/* webhook/*",
            "allow createToken revokeToken on member/$self:token/*",
        ]
    );
}

#[test]
fn built_in_roles_are_found_by_name_and_only_those() {
    for name in Role::BUILT_IN {
        assert_eq!(Role::built_in(name).map(|r| r.name), Some(name.to_owned()), "{name}");
    }
    assert!(Role::built_in("overlord").is_none());
}
