//! Recognising the merge commits a forge writes itself when a pull or merge request is
//! merged, from their message alone (a local scan sees the same messages).

/// Whether `message` is one a forge writes for the merge commit of a request:
/// - GitHub: the first line is `Merge pull request #<n> from <branch>`;
/// - GitLab's default template: the first line is `Merge branch '<a>' into '<b>'` and a
///   line reads `See merge request <project>!<n>` (`!<n>` alone before GitLab 10).
///
/// Local `git merge` messages ("Merge branch 'x' into y", no merge-request line) are not
/// the forge's, and a customised GitLab template is not recognised.
pub fn is_forge_merge_message(message: &str) -> bool {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default().trim();
    is_github_merge_subject(first)
        || (is_gitlab_merge_subject(first) && lines.any(|l| is_merge_request_line(l.trim())))
}

fn is_github_merge_subject(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("Merge pull request #") else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let Some(source) = rest[digits..].strip_prefix(" from ") else { return false };
    digits > 0 && !source.trim().is_empty()
}

fn is_gitlab_merge_subject(line: &str) -> bool {
    line.strip_prefix("Merge branch '")
        .and_then(|rest| rest.strip_suffix('\''))
        .and_then(|rest| rest.split_once("' into '"))
        .is_some_and(|(source, target)| !source.is_empty() && !target.is_empty())
}

fn is_merge_request_line(line: &str) -> bool {
    let Some(reference) = line.strip_prefix("See merge request ") else { return false };
    let Some((project, iid)) = reference.rsplit_once('!') else { return false };
    !project.contains(char::is_whitespace)
        && !iid.is_empty()
        && iid.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests;
