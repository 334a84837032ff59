//! Delivery insight over HTTP after an ingestion of the sandbox: the API's figures agree with
//! what a JQL search finds, the page draws every chart with its figures beside it, and each
//! chart's figures download as CSV.

use reqwest::Method as M;

use crate::TestServer;
use crate::jira_api::send;
use crate::tickets_pages::ingested;

#[tokio::test]
async fn insight_figures_agree_with_the_tickets_and_every_chart_is_drawn() {
    let s = TestServer::start().await;
    let _jira = ingested(&s).await;
    let (status, i) = send(&s, M::GET, "/api/insights?project=DEMO&weeks=520", None).await;
    assert_eq!(status, 200, "{i}");
    let (from, to) = (i["range"]["from"].as_i64().unwrap(), i["range"]["to"].as_i64().unwrap());

    // Finished in the range: what the weekly throughput adds up to, and what JQL finds.
    let weekly: i64 = i["throughput"]["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["done"].as_i64().unwrap())
        .sum();
    let jql = format!(
        "project = DEMO AND statusCategory = Done AND resolved >= {from} AND resolved < {to}"
    );
    let (_, found) = send(
        &s,
        M::POST,
        "/api/search",
        Some(serde_json::json!({"jql": jql, "maxResults": 100, "fields": ["summary"]})),
    )
    .await;
    let done = found["issues"].as_array().unwrap().len() as i64;
    assert!(done > 0, "{found}");
    assert_eq!(weekly, done, "{i}");
    assert_eq!(i["lead_time"]["tickets"].as_array().unwrap().len() as i64, done);
    assert_eq!(i["behind_flags"]["finished"], done);
    let p50 = i["lead_time"]["p50_days"].as_f64().unwrap();
    let p85 = i["lead_time"]["p85_days"].as_f64().unwrap();
    assert!(p50 <= p85, "{i}");
    // Every ticket of the project is in the last week's flow.
    let (_, all) = send(&s, M::GET, "/api/tickets?project=DEMO&limit=500", None).await;
    let total = all["tickets"].as_array().unwrap().len() as i64;
    let last = i["flow"].as_array().unwrap().last().unwrap().clone();
    let in_flow =
        ["to_do", "in_progress", "done"].iter().map(|k| last[*k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(in_flow, total, "{last}");
    let open = all["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status_category"] != "done")
        .count();
    assert_eq!(i["ageing"].as_array().unwrap().len(), open);

    // A bad filter is refused as a search is.
    let (status, body) = send(&s, M::GET, "/api/insights?jql=status%20%3D%20Nope", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorMessages"][0], "The value 'Nope' does not exist for the field 'status'.");

    // The page: every chart drawn, with its figures and a CSV link.
    let page = s.get("/insights?project=DEMO&weeks=520").await.text().await.unwrap();
    for chart in
        ["cycle-time", "lead-time", "throughput", "sprints", "flow", "ageing", "commit-to-flag"]
    {
        assert!(page.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
        assert!(page.contains(&format!("data-table=\"{chart}\"")), "{chart}");
        let link = format!("/insights/data/{chart}.csv?project=DEMO&#38;weeks=520");
        let near = page.find("/insights/data/").map(|i| &page[i..i + 90]);
        assert!(page.contains(&link), "{link}: {near:?}");
    }
    assert!(page.contains(&format!("data-figure=\"finished\">{done}<")), "{page}");
    let csv = s.get("/insights/data/throughput.csv?project=DEMO&weeks=520").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("week of,tickets done"));
    let csv_done: i64 = lines.map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(csv_done, done);
    let r = s.get("/insights/data/nope.csv").await;
    assert_eq!(r.status().as_u16(), 404);
}
