//! A reproducible corpus of commit messages for the extraction benchmarks, built from a seed
//! alone (no files, no network), shared by `benches/extract.rs` and
//! `examples/corpus_bench.rs`.
//!
//! Each message is drawn from templates seen in real repositories, with their share:
//! - 26% a key in the subject: `SHOP-123: …`, `[OPS-4] …`, `feat(cart): … (PAY-9)`;
//! - 10% merge commits: GitLab and GitHub merges of branches named after keys, and merges
//!   of release or main branches without keys;
//! - 8% closing words with one to three keys (`Closes SHOP-1, SHOP-2 and OPS-3`), 5% Smart
//!   Commits (`#comment`, `#time 1h 30m`, `#resolve`);
//! - 7% dependency bumps, some fixing CVE ids (`CVE-2023-0286`), which are not keys;
//! - 8% look-alikes that are not keys: lower case (`shop-12`, `utf-8`, `sha-256`), keys
//!   inside words (`fooSHOP-1`, `_OPS-3`), zero numbers (`SHOP-0`), dates, versions, and
//!   upper-case ones that are keys by the pattern (`UTF-8`, `ISO-8859`);
//! - 6% links (Jira browse URLs holding keys, pull-request and docs URLs with dashes);
//! - 4% messages in Chinese with keys glued to the text, 2% reverts of keyed commits;
//! - the rest plain messages without keys (typo fixes, refactors, docs).
//!
//! 30% of messages get a body of one to four lines (bullets that may mention keys,
//! `Signed-off-by`/`Co-authored-by` trailers with non-ASCII names, `Reviewed-on` links).
//! Keys come from 18 project keys (`R2D2`, `DATA_ENG`, `DB2` among them) with numbers mostly
//! below 3,000 and sometimes up to 60,000; some are written with leading zeros (`SHOP-007`).
//! No message holds a number of more than 18 digits or a project key longer than 255
//! characters, the two places where `grep` and the matcher are allowed to differ.

/// SplitMix64: a tiny, well-known generator, written here so the corpus stays the same
/// whatever version of a random-number crate is in the lock file.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// `count` messages from `seed`; the same arguments always give the same messages.
pub fn messages(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| message(&mut rng)).collect()
}

const PROJECTS: [&str; 18] = [
    "SHOP", "OPS", "CART", "PAY", "AUTH", "WEB", "API", "INFRA", "DATA", "MOB", "QA", "SEC",
    "PLAT", "CORE", "UI", "DB2", "R2D2", "DATA_ENG",
];

const VERBS: [&str; 12] = [
    "Fix", "Add", "Update", "Remove", "Refactor", "Improve", "Handle", "Use", "Move", "Rename",
    "Support", "Drop",
];

const THINGS: [&str; 16] = [
    "login redirect",
    "cart total rounding",
    "coupon validation",
    "flaky checkout test",
    "null pointer in order service",
    "retry on 503",
    "CSV export",
    "dark mode colours",
    "session timeout",
    "rate limiter",
    "S3 upload",
    "search pagination",
    "webhook signature",
    "i18n strings",
    "payment webhook",
    "health check",
];

const SCOPES: [&str; 8] = ["cart", "api", "ui", "auth", "deps", "ci", "db", "docs"];

const NAMES: [&str; 8] = [
    "José García",
    "Zoë Müller",
    "Łukasz Nowak",
    "Ana Lima",
    "Søren Kierkegaard",
    "Chloé Dubois",
    "Mei Chen",
    "Jürgen Groß",
];

const PACKAGES: [&str; 8] =
    ["openssl", "lodash", "log4j-core", "jackson-databind", "nginx", "axios", "tokio", "curl"];

const CVES: [&str; 8] = [
    "CVE-2023-0286",
    "CVE-2021-23337",
    "CVE-2021-44228",
    "CVE-2020-36518",
    "CVE-2024-3094",
    "CVE-2023-45853",
    "CVE-2022-0778",
    "CVE-2024-24790",
];

fn key(rng: &mut Rng) -> String {
    let project = rng.pick(&PROJECTS);
    let number = if rng.chance(85) { 1 + rng.below(3000) } else { 1 + rng.below(60_000) };
    if rng.chance(1) { format!("{project}-00{number}") } else { format!("{project}-{number}") }
}

fn thing(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(&VERBS), rng.pick(&THINGS))
}

fn version(rng: &mut Rng) -> String {
    format!("{}.{}.{}", rng.below(5), rng.below(30), rng.below(20))
}

fn message(rng: &mut Rng) -> String {
    let mut m = subject(rng);
    if rng.chance(30) {
        for _ in 0..1 + rng.below(4) {
            m.push('\n');
            m.push_str(&body_line(rng));
        }
    }
    m
}

fn subject(rng: &mut Rng) -> String {
    let roll = rng.below(100);
    match roll {
        0..=9 => format!("{}: {}", key(rng), thing(rng)),
        10..=17 => format!("[{}] {}", key(rng), thing(rng).to_lowercase()),
        18..=25 => format!(
            "{}({}): {} ({})",
            rng.pick(&["feat", "fix", "chore"]),
            rng.pick(&SCOPES),
            thing(rng).to_lowercase(),
            key(rng)
        ),
        26..=29 => format!(
            "Merge branch 'feature/{}-{}' into 'main'",
            key(rng),
            rng.pick(&["cart", "login", "fix-totals", "api_v2"])
        ),
        30..=33 => format!(
            "Merge pull request #{} from acme/{}-{}",
            1 + rng.below(4000),
            key(rng),
            rng.pick(&["login", "checkout", "retry"])
        ),
        34..=35 => {
            format!("Merge remote-tracking branch 'origin/release-{}' into main", version(rng))
        }
        36..=43 => closing(rng),
        44..=48 => smart_commit(rng),
        49..=55 => bump(rng),
        56..=63 => lookalike(rng),
        64..=69 => link(rng),
        70..=73 => format!(
            "{}{}{}",
            rng.pick(&["修复", "优化", "更新"]),
            key(rng),
            rng.pick(&["登录问题", "的购物车", "文档"])
        ),
        74..=75 => format!("Revert \"{}: {}\"", key(rng), thing(rng).to_lowercase()),
        _ => plain(rng),
    }
}

fn closing(rng: &mut Rng) -> String {
    let word = rng.pick(&["Closes", "Fixes", "fix", "Resolves", "Implements", "closes"]);
    let keys = match rng.below(3) {
        0 => key(rng),
        1 => format!("{}, {}", key(rng), key(rng)),
        _ => format!("{}, {} and {}", key(rng), key(rng), key(rng)),
    };
    format!("{}. {word} {keys}", thing(rng))
}

fn smart_commit(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("{} #comment {}", key(rng), thing(rng).to_lowercase()),
        1 => format!("{} #time {}h {}m {}", key(rng), 1 + rng.below(8), rng.below(60), thing(rng)),
        _ => format!("{} {} #resolve #comment done", key(rng), key(rng)),
    }
}

fn bump(rng: &mut Rng) -> String {
    let package = rng.pick(&PACKAGES);
    let (from, to) = (version(rng), version(rng));
    if rng.chance(40) {
        format!("Bump {package} from {from} to {to} (fixes {})", rng.pick(&CVES))
    } else {
        format!("build(deps): bump {package} from {from} to {to}")
    }
}

fn lookalike(rng: &mut Rng) -> String {
    let p = rng.pick(&PROJECTS);
    let n = 1 + rng.below(900);
    match rng.below(9) {
        0 => format!("Mention {}-{n} in lower case", p.to_lowercase()),
        1 => "Use utf-8 and sha-256 for x86-64 builds".to_owned(),
        2 => format!(
            "Release {}-{:02}-{:02}",
            2020 + rng.below(6),
            1 + rng.below(12),
            1 + rng.below(28)
        ),
        3 => format!("Tag v{}-rc.{}", version(rng), 1 + rng.below(5)),
        4 => format!("Rename foo{p}-{n} helper"),
        5 => format!("Keep _{p}-{n} private and {p}-{n}x as is"),
        6 => format!("Placeholder {p}-0 in fixtures"),
        7 => "Decode ISO-8859-1 and UTF-8 input".to_owned(),
        _ => format!("Handle {p}_{n} and {p} - {n} spacing"),
    }
}

fn link(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!(
            "See https://jira.example.com/browse/{}?focusedCommentId={}",
            key(rng),
            rng.below(99_999)
        ),
        1 => format!("Follow-up of https://github.com/acme/shop-web/pull/{}", 1 + rng.below(4000)),
        _ => format!(
            "Docs: https://docs.example.com/en/latest/how-to/set-up-{}-2-factor.html",
            rng.pick(&SCOPES)
        ),
    }
}

fn plain(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "Fix typo in README".to_owned(),
        1 => format!("{} (no ticket)", thing(rng)),
        2 => format!("chore: format {} module", rng.pick(&SCOPES)),
        3 => format!("WIP {}", thing(rng).to_lowercase()),
        _ => thing(rng),
    }
}

fn body_line(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("- {} in the {} module", thing(rng).to_lowercase(), rng.pick(&SCOPES)),
        1 => format!("- see {} for context", key(rng)),
        2 => format!("Signed-off-by: {} <dev{}@example.com>", rng.pick(&NAMES), rng.below(100)),
        3 => format!(
            "Co-authored-by: {} <{}@users.noreply.github.com>",
            rng.pick(&NAMES),
            rng.below(10_000)
        ),
        4 => format!("Reviewed-on: https://gerrit.example.com/c/shop/+/{}", rng.below(100_000)),
        _ => format!("Refs: {}", key(rng)),
    }
}
