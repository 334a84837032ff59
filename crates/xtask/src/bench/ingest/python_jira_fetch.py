"""What `cargo xtask bench ingest` compares tether's ingestion with: the Python `jira` library
(PyPI, as installed for TEST_PYTHON_JIRA: crates/tether/tests/python/requirements.txt) fetching
the same data as tether's ingester, as a script would.

    python3 python_jira_fetch.py BASE_URL EMAIL TOKEN PROJECT_ID...

Per project, the issues with every field and their changelog, page by page (100 a page by
`nextPageToken`, the library's Cloud search), then each issue's comments beyond the embedded ones, its worklogs beyond
the embedded ones and its remote links. Stores nothing. Prints one JSON line: issues, seconds.
"""

import json
import sys
import time

from jira import JIRA


def main():
    base_url, email, token, projects = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    jira = JIRA(options={"server": base_url}, basic_auth=(email, token), max_retries=0)
    started = time.monotonic()
    issues = 0
    for project in projects:
        token = None
        while True:
            # Cloud: the library's enhanced search, a page at a time by nextPageToken.
            page = jira.enhanced_search_issues(
                f'project = "{project}" ORDER BY key ASC',
                nextPageToken=token,
                maxResults=100,
                fields="*all",
                expand="changelog",
            )
            for issue in page:
                comment = getattr(issue.fields, "comment", None)
                if comment is not None and comment.total > len(comment.comments):
                    jira.comments(issue.id)
                worklog = getattr(issue.fields, "worklog", None)
                if worklog is not None and worklog.total > len(worklog.worklogs):
                    jira.worklogs(issue.id)
                jira.remote_links(issue.id)
            issues += len(page)
            token = page.nextPageToken
            if len(page) == 0 or not token:
                break
    print(json.dumps({"issues": issues, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main()
