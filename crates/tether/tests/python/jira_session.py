"""A scripted session of the Python `jira` library (PyPI) against a Jira, as a user would run it.

    python3 jira_session.py BASE_URL FLAVOUR AUTH

FLAVOUR is `cloud` or `dc`; AUTH is `basic:USER:SECRET` (Cloud: email + API token; Data Center:
user name + password) or `pat:TOKEN` (a Data Center personal access token, sent as a bearer
token). Connects, lists projects, issue types and priorities, searches, creates an issue,
comments on it (editing one comment and deleting another), assigns and unassigns it, watches
and unwatches it, logs, changes and deletes work, transitions it (a transition without a
screen into Done, which resolves the issue itself; one whose screen requires a resolution,
refused without it and accepted with it) and adds a remote link, reading each back through
the library. Prints progress, then one JSON line with what it wrote, which
crates/tether/tests/it/python_jira.rs checks against the sandbox's /_sandbox inspection
endpoints. Exits non-zero on the first failed expectation.
"""

import datetime
import json
import sys

from jira import JIRA, JIRAError


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

    # Issue types and priorities.
    types = {t.name: t for t in jira.issue_types()}
    expect("Task" in types and types["Sub-task"].subtask, f"issue types listed: {sorted(types)}")
    expect(jira.issue_type(types["Task"].id).name == "Task", "issue type Task read by id")
    priorities = [p.name for p in jira.priorities()]
    expect(priorities == ["Highest", "High", "Medium", "Low", "Lowest"], f"priorities {priorities}")
    expect(jira.priority("2").name == "High", "priority 2 is High")

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
    comment.update(body="Commented by the Python jira library (edited)")
    again = jira.comment(issue.key, comment.id)
    expect(again.body == "Commented by the Python jira library (edited)", "comment edited")
    doomed = jira.add_comment(issue.key, "Deleted by the Python jira library")
    doomed.delete()
    ids = [c.id for c in jira.comments(issue.key)]
    expect(ids == [comment.id], f"comment {doomed.id} deleted, {comment.id} left")

    # Assign (Cloud: by accountId, found through a user search; Data Center: by name) and
    # unassign.
    jira.assign_issue(issue.key, "admin")
    assignee = jira.issue(issue.key).fields.assignee
    expect(assignee is not None and assignee.displayName == "Sandbox Admin", "assigned to admin")
    jira.assign_issue(issue.key, None)
    expect(jira.issue(issue.key).fields.assignee is None, "unassigned")

    # Watchers: the creator watches; remove and add again.
    watchers = jira.watchers(issue.key)
    expect(watchers.watchCount == 1 and watchers.isWatching, "the creator watches the issue")
    jira.remove_watcher(issue.key, "admin")
    expect(jira.watchers(issue.key).watchCount == 0, "watcher removed")
    jira.add_watcher(issue.key, "admin")
    watchers = jira.watchers(issue.key)
    expect(
        [w.displayName for w in watchers.watchers] == ["Sandbox Admin"],
        "watcher added back",
    )

    # Worklogs: log, read, change, delete.
    started_at = datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.timezone.utc)
    logged = jira.add_worklog(
        issue.key, timeSpent="1h 30m", comment="Paired on it", started=started_at
    )
    expect(logged.timeSpentSeconds == 5400, f"worklog {logged.id} of {logged.timeSpent}")
    extra = jira.add_worklog(issue.key, timeSpentSeconds="1800", adjustEstimate="leave")
    expect(extra.timeSpent == "30m", f"worklog {extra.id} of {extra.timeSpent}")
    worklogs = jira.worklogs(issue.key)
    expect([w.id for w in worklogs] == [logged.id, extra.id], "worklogs listed")
    one = jira.worklog(issue.key, logged.id)
    expect(one.comment == "Paired on it" and one.started.startswith("2024-03-01T09:00"), "worklog read")
    one.update(timeSpent="2h")
    expect(jira.worklog(issue.key, logged.id).timeSpentSeconds == 7200, "worklog changed to 2h")
    extra.delete(adjustEstimate="leave")
    expect([w.id for w in jira.worklogs(issue.key)] == [logged.id], f"worklog {extra.id} deleted")

    # Transitions: to In Progress; "Close" has no screen and resolves the issue itself; back to
    # To Do; "Done" has a screen on which the resolution is required.
    def transition_to(name, **fields):
        for t in jira.transitions(issue.key):
            if t["name"] == name:
                jira.transition_issue(issue.key, t["id"], fields=fields or None)
                return t
        raise SystemExit(f"FAILED: no transition {name} from {jira.issue(issue.key).fields.status}")

    started = transition_to("In Progress")
    closed = transition_to("Close")
    issue = jira.issue(issue.key)
    expect(
        (issue.fields.status.name, issue.fields.resolution.name) == ("Done", "Done"),
        f"closed via {closed['id']} without a screen: Done, resolution Done",
    )
    reopened = transition_to("To Do")
    expect(jira.issue(issue.key).fields.resolution is None, "reopened, resolution cleared")
    screens = {t["name"]: t for t in jira.transitions(issue.key, expand="transitions.fields")}
    expect(
        screens["Done"]["fields"]["resolution"]["required"] and not screens["Close"]["fields"],
        "Done's screen requires a resolution, Close has none",
    )
    try:
        jira.transition_issue(issue.key, "Done")
        raise SystemExit("FAILED: Done without a resolution was accepted")
    except JIRAError as e:
        expect(
            e.status_code == 400 and "Resolution is required" in (e.text or str(e)),
            "Done without a resolution: 400 Resolution is required",
        )
    done = transition_to("Done", resolution={"name": "Done"})
    issue = jira.issue(issue.key)
    expect(issue.fields.status.name == "Done", f"transitioned via {done['id']} to Done")
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
                "worklog_id": str(logged.id),
                "transitions": [
                    str(t["id"]) for t in (started, closed, reopened, done)
                ],
                "remote_link_id": link.id,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
