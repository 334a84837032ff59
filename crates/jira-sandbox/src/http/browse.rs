//! `GET /browse/{key}`: a small server-rendered page of one issue for people (the demo), like
//! Jira's issue URL: key, summary, status, assignee, the Development panel (commits, branches
//! and pull requests from the Development Information API, builds, deployments), the feature
//! flags the Feature Flags API holds for it, and its remote links. No script; every text is
//! escaped, and only `http(s)` URLs become links or images.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::development::{CodePanel, FlagPanel, IssueDevelopment, LinkPanel, Rollout};
use crate::{Flavour, Sandbox};

pub(crate) async fn page(State(sb): State<Sandbox>, Path(key): Path<String>) -> Response {
    let flavour = match sb.flavour() {
        Flavour::Cloud => "Cloud".to_owned(),
        Flavour::DataCenter { version } => format!("Data Center {version}"),
    };
    match sb.development(&key) {
        // A moved issue's old key leads to its page under the new one, as in Jira.
        Some(dev) if !dev.issue_key.eq_ignore_ascii_case(&key) => (
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, format!("/browse/{}", dev.issue_key))],
        )
            .into_response(),
        Some(dev) => Html(render(&dev, &flavour)).into_response(),
        None => {
            let body = format!(
                "{}<h1>Issue does not exist</h1><p>There is no issue {}.</p></body></html>",
                head("Issue does not exist", &flavour),
                escape(&key)
            );
            (StatusCode::NOT_FOUND, Html(body)).into_response()
        }
    }
}

/// `&`, `<`, `>`, `"` and `'` as character references: safe in text and quoted attributes.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only `http:` and `https:` URLs are followed or loaded; anything else (`javascript:`) is
/// shown as text.
fn web_url(url: &str) -> Option<String> {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| escape(url))
}

/// `text`, linked to `url` when it is a web URL.
fn link(url: Option<&str>, text: &str) -> String {
    match url.and_then(web_url) {
        Some(href) => format!("<a href=\"{href}\">{text}</a>"),
        None => text.to_owned(),
    }
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;\
padding:0 1rem;color:#172b4d}h1{font-size:1.5rem}h2{font-size:1.1rem;border-bottom:1px solid \
#dfe1e6;padding-bottom:.25rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}\
th,td{border:1px solid #dfe1e6;padding:.2rem .5rem;text-align:left}dt{font-weight:600;float:left;\
width:6rem}dd{margin:0 0 .25rem 6rem}.muted{color:#6b778c}";

fn head(title: &str, flavour: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - Jira \
         sandbox</title><style>{STYLE}</style></head><body><p class=\"muted\">Jira sandbox \
         ({})</p>",
        escape(title),
        escape(flavour)
    )
}

fn render(dev: &IssueDevelopment, flavour: &str) -> String {
    let key = escape(&dev.issue_key);
    let summary = escape(&dev.summary);
    let mut out = head(&format!("[{}] {}", dev.issue_key, dev.summary), flavour);
    let assignee = dev.assignee.as_ref().map_or_else(
        || "<span class=\"muted\">Unassigned</span>".to_owned(),
        |u| escape(&u.display_name),
    );
    let _ = write!(
        out,
        "<h1><span class=\"muted\">{key}</span> {summary}</h1><dl><dt>Status</dt><dd>{}</dd>\
         <dt>Assignee</dt><dd>{assignee}</dd></dl>",
        escape(&dev.status)
    );
    development(&mut out, dev);
    out.push_str("<section id=\"feature-flags\"><h2>Feature flags</h2>");
    if dev.feature_flags.is_empty() {
        out.push_str("<p class=\"muted\">No feature flags.</p>");
    }
    for f in &dev.feature_flags {
        flag(&mut out, f);
    }
    out.push_str("</section><section id=\"remote-links\"><h2>Remote links</h2>");
    if dev.remote_links.is_empty() {
        out.push_str("<p class=\"muted\">No remote links.</p>");
    } else {
        out.push_str("<ul>");
        for l in &dev.remote_links {
            remote_link(&mut out, l);
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "</section><p class=\"muted\"><a href=\"/_sandbox/issues/{key}/development\">As \
         JSON</a></p></body></html>"
    );
    out
}

fn on_off(enabled: bool) -> &'static str {
    if enabled { "Enabled" } else { "Disabled" }
}

fn rollout(r: Option<&Rollout>) -> String {
    match r {
        None => "<span class=\"muted\">none</span>".to_owned(),
        Some(Rollout::Percentage(p)) if p.fract() == 0.0 => format!("{p:.0}%"),
        Some(Rollout::Percentage(p)) => format!("{p}%"),
        Some(Rollout::Rules(1)) => "1 rule".to_owned(),
        Some(Rollout::Rules(n)) => format!("{n} rules"),
        Some(Rollout::Text(t)) => escape(t),
    }
}

fn flag(out: &mut String, f: &FlagPanel) {
    let default = f
        .default_value
        .as_deref()
        .map(|d| format!("; serves <code>{}</code> when off", escape(d)))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<article class=\"flag\"><h3>{}</h3><p>{}; rollout {}{default}. <span class=\"muted\">Key \
         <code>{}</code>, last updated {}.</span></p>",
        link(f.url.as_deref(), &escape(&f.display_name)),
        on_off(f.enabled),
        rollout(f.rollout.as_ref()),
        escape(&f.key),
        escape(&f.last_updated),
    );
    out.push_str(
        "<table><thead><tr><th>Environment</th><th>Type</th><th>Status</th><th>Rollout</th>\
         <th>Last updated</th></tr></thead><tbody>",
    );
    for e in &f.environments {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            link(Some(&e.url), &escape(&e.name)),
            escape(e.env_type.as_deref().unwrap_or("")),
            on_off(e.enabled),
            rollout(e.rollout.as_ref()),
            escape(&e.last_updated),
        );
    }
    out.push_str("</tbody></table></article>");
}

fn remote_link(out: &mut String, l: &LinkPanel) {
    out.push_str("<li>");
    let img = |i: &crate::development::Icon| match web_url(&i.url) {
        Some(src) => format!(
            "<img src=\"{src}\" alt=\"{}\" width=\"16\" height=\"16\"> ",
            escape(i.title.as_deref().unwrap_or(""))
        ),
        None => String::new(),
    };
    if let Some(i) = &l.icon {
        out.push_str(&img(i));
    }
    let title = escape(if l.title.is_empty() { &l.url } else { &l.title });
    let title = if l.resolved { format!("<s>{title}</s>") } else { title };
    out.push_str(&link(Some(&l.url), &title));
    if let Some(s) = &l.summary {
        let _ = write!(out, " <span class=\"muted\">{}</span>", escape(s));
    }
    if let Some(i) = &l.status_icon {
        out.push(' ');
        out.push_str(img(i).trim_end());
    }
    if let Some(r) = &l.relationship {
        let _ = write!(out, " <span class=\"muted\">({})</span>", escape(r));
    }
    out.push_str("</li>");
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// Jira's Development panel: the summary lines, then each repository's branches, commits and
/// pull requests; then builds and deployments.
fn development(out: &mut String, dev: &IssueDevelopment) {
    let code: &CodePanel = &dev.code;
    out.push_str("<section id=\"development\"><h2>Development</h2>");
    if code.repositories.is_empty() && dev.builds.is_empty() && dev.deployments.is_empty() {
        out.push_str("<p class=\"muted\">No development information.</p></section>");
        return;
    }
    out.push_str("<ul class=\"summary\">");
    if code.branches > 0 {
        let _ = write!(out, "<li>{}</li>", plural(code.branches, "branch", "branches"));
    }
    if code.commits > 0 {
        let _ = write!(out, "<li>{}</li>", plural(code.commits, "commit", "commits"));
    }
    if code.pull_requests > 0 {
        let _ = write!(
            out,
            "<li>{} <strong>{}</strong></li>",
            plural(code.pull_requests, "pull request", "pull requests"),
            escape(code.pull_request_status.as_deref().unwrap_or(""))
        );
    }
    if !dev.builds.is_empty() {
        let _ = write!(out, "<li>{}</li>", plural(dev.builds.len(), "build", "builds"));
    }
    if !dev.deployments.is_empty() {
        let _ =
            write!(out, "<li>{}</li>", plural(dev.deployments.len(), "deployment", "deployments"));
    }
    out.push_str("</ul>");
    if let Some(t) = &code.last_updated {
        let _ = write!(out, "<p class=\"muted\">Last updated {}</p>", escape(t));
    }
    for r in &code.repositories {
        let _ = write!(out, "<h3>{}</h3><ul>", link(Some(&r.url), &escape(&r.name)));
        for b in &r.branches {
            let _ = write!(out, "<li>Branch {}</li>", link(Some(&b.url), &escape(&b.name)));
        }
        for c in &r.commits {
            let _ = write!(
                out,
                "<li>Commit {} {} <span class=\"muted\">{}, {}</span></li>",
                link(Some(&c.url), &format!("<code>{}</code>", escape(&c.display_id))),
                escape(c.message.lines().next().unwrap_or("")),
                escape(&c.author),
                escape(&c.author_timestamp)
            );
        }
        for p in &r.pull_requests {
            let _ = write!(
                out,
                "<li>Pull request {} {} <strong>{}</strong> <span class=\"muted\">{} → {}</span></li>",
                link(Some(&p.url), &escape(&p.display_id)),
                escape(&p.title),
                escape(&p.status),
                escape(&p.source_branch),
                escape(p.destination_branch.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</ul>");
    }
    if !dev.builds.is_empty() || !dev.deployments.is_empty() {
        out.push_str("<ul>");
        for b in &dev.builds {
            let _ = write!(
                out,
                "<li>Build {} <strong>{}</strong></li>",
                link(Some(&b.url), &escape(&b.display_name)),
                escape(&b.state)
            );
        }
        for d in &dev.deployments {
            let _ = write!(
                out,
                "<li>Deployment {} to {} ({}) <strong>{}</strong></li>",
                link(Some(&d.url), &escape(&d.display_name)),
                escape(&d.environment),
                escape(&d.environment_type),
                escape(&d.state)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}
