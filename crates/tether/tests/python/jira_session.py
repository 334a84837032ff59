"""A scripted session of the Python `jira` library (PyPI) against a Jira, as a user would run it.

    python3 jira_session.py BASE_URL FLAVOUR AUTH

FLAVOUR is `cloud` or `dc`; AUTH is `basic:USER:SECRET` (Cloud: email + API token; Data Center:
user name + password) or `pat:TOKEN` (a Data Center personal access token, sent as a bearer
token). Connects, lists projects, searches, creates an issue, comments on it, transitions it
to Done (with the resolution Done requires) and adds a remote link, reading each back through
the library. Prints progress, then one JSON line with what it wrote, which
crates/tether/tests/it/python_jira.rs checks against the sandbox's /_sandbox inspection
endpoints. Exits non-zero on the first failed expectation.
"""

import json
import sys

from jira import JIRA


def expect(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def main():
    base_url, flavour, auth = sys.argv[1], sys.argv[2], sys.argv[3]
    kind, _, rest = auth.partition(":")
    options = {"server": base_url}
    if kind == "basic":
        user, _, secret = rest.partition(":")
        jira = JIRA(options=options, basic_auth=(user, secret), max_retries=0)
    elif kind == "pat":
        jira = JIRA(options=options, token_auth=rest, max_retries=0)
    else:
        raise SystemExit(f"unknown auth kind {kind!r}")

    # Connect: the library reads serverInfo at construction.
    info = jira.server_info()
    expect(
        info["deploymentType"] == ("Cloud" if flavour == "cloud" else "Server"),
        f"connected to a {info['deploymentType']} Jira {info.get('version')}",
    )
    me = jira.myself()
    expect(me.get("emailAddress") == "admin@sandbox.test", f"logged in as {me['displayName']}")

    # List projects.
    projects = jira.projects()
    keys = sorted(p.key for p in projects)
    expect("SAND" in keys, f"projects listed: {keys}")
    sand = jira.project("SAND")
    expect(sand.projectTypeKey == "software", "project SAND is a software project")

    # Search (Cloud: the library switches to /search/jql; Data Center: /search).
    before = jira.search_issues("project = SAND ORDER BY created DESC", maxResults=50)
    print(f"search found {len(before)} issues in SAND before the session", flush=True)

    # Create.
    issue = jira.create_issue(
        project="SAND",
        summary="Created by the Python jira library",
        description="Session of jira_session.py",
        issuetype={"name": "Task"},
        labels=["python-jira"],
    )
    expect(issue.key.startswith("SAND-"), f"created {issue.key}")
    issue = jira.issue(issue.key)
    expect(issue.fields.summary == "Created by the Python jira library", "summary read back")
    expect(issue.fields.status.name == "To Do", f"new issue is {issue.fields.status.name}")

    found = jira.search_issues(f"project = SAND AND labels = python-jira AND key = {issue.key}")
    expect([i.key for i in found] == [issue.key], f"search finds {issue.key}")

    # Comment.
    comment = jira.add_comment(issue.key, "Commented by the Python jira library")
    expect(comment.id is not None, f"comment {comment.id} added")
    bodies = [c.body for c in jira.comments(issue.key)]
    expect("Commented by the Python jira library" in bodies, "comment read back")

    # Transition: to In Progress, then to Done with the resolution it requires.
    def transition_to(status, **fields):
        for t in jira.transitions(issue.key):
            if t["to"]["name"] == status:
                jira.transition_issue(issue.key, t["id"], fields=fields or None)
                return t
        raise SystemExit(f"FAILED: no transition to {status} from {jira.issue(issue.key).fields.status}")

    started = transition_to("In Progress")
    done = transition_to("Done", resolution={"name": "Done"})
    issue = jira.issue(issue.key)
    expect(issue.fields.status.name == "Done", f"transitioned via {started['id']} and {done['id']} to Done")
    expect(issue.fields.resolution.name == "Done", "resolution Done")

    # Remote link, with a globalId so that a second add replaces it.
    link = jira.add_remote_link(
        issue.key,
        {"url": "https://tether.test/flags/python", "title": "python flag", "summary": "on in prod"},
        globalId="tether:flag:python",
        application={"type": "dev.tether", "name": "tether"},
        relationship="controlled by",
    )
    link = jira.add_remote_link(
        issue.key,
        {"url": "https://tether.test/flags/python", "title": "python flag (updated)"},
        globalId="tether:flag:python",
        application={"type": "dev.tether", "name": "tether"},
        relationship="controlled by",
    )
    links = jira.remote_links(issue.key)
    expect(
        [(l.globalId, l.object.title) for l in links]
        == [("tether:flag:python", "python flag (updated)")],
        f"remote link {link.id} added and replaced by globalId",
    )

    print(
        json.dumps(
            {
                "flavour": flavour,
                "projects": keys,
                "issue": issue.key,
                "comment_id": str(comment.id),
                "transitions": [str(started["id"]), str(done["id"])],
                "remote_link_id": link.id,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
