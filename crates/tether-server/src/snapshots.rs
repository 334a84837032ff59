//! Compiled evaluation snapshots, one per environment, swapped atomically.
//!
//! Readers load the whole map with one atomic read (`arc-swap`), without locks;
//! a change builds a new snapshot and swaps in a new map (copy on write). A
//! change made through this process refreshes at once; changes made by other
//! processes sharing the database are picked up by [`Snapshots::tick`], which
//! compares each environment's `config_version` with the cached one.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tether_flags::Snapshot;
use tether_store::{Store, StoreError};

/// project key → environment key → snapshot. Nested so that a request looks
/// up by `&str` without allocating a key.
type Map = HashMap<String, HashMap<String, Arc<Snapshot>>>;

#[derive(Default)]
pub struct Snapshots {
    map: ArcSwap<Map>,
}

impl std::fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let environments: usize = self.map.load().values().map(HashMap::len).sum();
        f.debug_struct("Snapshots").field("environments", &environments).finish()
    }
}

impl Snapshots {
    /// The environment's snapshot, built on first use.
    pub async fn get(
        &self,
        store: &Store,
        project: &str,
        env: &str,
    ) -> Result<Arc<Snapshot>, StoreError> {
        if let Some(s) = self.map.load().get(project).and_then(|envs| envs.get(env)) {
            return Ok(s.clone());
        }
        self.refresh(store, project, env).await
    }

    /// Rebuilds one environment's snapshot from the store and swaps it in.
    pub async fn refresh(
        &self,
        store: &Store,
        project: &str,
        env: &str,
    ) -> Result<Arc<Snapshot>, StoreError> {
        let contents = store.environment_contents(project, env).await?;
        let snapshot = Arc::new(Snapshot::build(
            contents.version as u64,
            contents.flags.iter().map(|(f, c)| (f, c)),
            contents.segments.iter(),
        ));
        for issue in snapshot.issues() {
            tracing::warn!(project, env, ?issue, "a flag or segment cannot be evaluated as stored");
        }
        self.map.rcu(|map| {
            let mut next = Map::clone(map);
            let envs = next.entry(project.to_owned()).or_default();
            // Never replace a newer snapshot with an older one (two refreshes racing).
            let newer = envs.get(env).is_some_and(|s| s.version() > snapshot.version());
            if !newer {
                envs.insert(env.to_owned(), snapshot.clone());
            }
            next
        });
        Ok(self.map.load().get(project).and_then(|envs| envs.get(env)).cloned().unwrap_or(snapshot))
    }

    /// Rebuilds every cached environment of a project (after a change to it).
    pub async fn refresh_project(&self, store: &Store, project: &str) -> Result<(), StoreError> {
        let cached: Vec<String> = self
            .map
            .load()
            .get(project)
            .map(|envs| envs.keys().cloned().collect())
            .unwrap_or_default();
        for env in cached {
            self.refresh(store, project, &env).await?;
        }
        Ok(())
    }

    /// Brings every cached snapshot up to date with the database and forgets
    /// environments that no longer exist. Returns how many were rebuilt.
    pub async fn tick(&self, store: &Store) -> Result<usize, StoreError> {
        let versions = store.environment_versions().await?;
        let current: HashMap<(String, String), u64> =
            versions.into_iter().map(|(p, e, v)| ((p, e), v as u64)).collect();
        let is_current = |p: &str, e: &str| current.get(&(p.to_owned(), e.to_owned())).copied();
        let stale: Vec<(String, String)> = self
            .map
            .load()
            .iter()
            .flat_map(|(p, envs)| envs.iter().map(move |(e, s)| (p, e, s)))
            .filter(|(p, e, s)| is_current(p, e).is_some_and(|v| v != s.version()))
            .map(|(p, e, _)| (p.clone(), e.clone()))
            .collect();
        self.map.rcu(|map| {
            let mut next = Map::clone(map);
            for (p, envs) in next.iter_mut() {
                envs.retain(|e, _| is_current(p, e).is_some());
            }
            next.retain(|_, envs| !envs.is_empty());
            next
        });
        for (project, env) in &stale {
            self.refresh(store, project, env).await?;
        }
        Ok(stale.len())
    }
}
