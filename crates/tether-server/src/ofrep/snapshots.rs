//! Compiled evaluation snapshots, one per environment, swapped atomically.
//!
//! Readers load the whole map with one atomic read (`arc-swap`), without locks;
//! a change builds a new snapshot and swaps in a new map (copy on write). A
//! change made through this process refreshes at once (a change to one flag's config
//! recompiles that flag alone: [`Snapshots::refresh_flag`]); changes made by other
//! processes sharing the database are picked up by [`Snapshots::tick`] (which
//! [`crate::serve`] runs every `snapshot_refresh`, and on PostgreSQL at once when another
//! process announces a change: [`tether_store::Store::config_listener`]): it compares each
//! environment's id and `config_version` with the cached ones, and forgets
//! environments that were deleted.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tether_flags::Snapshot;
use tether_store::{Store, StoreError};

/// One environment's compiled flags, and which environment they belong to: a
/// deleted environment re-created under the same key has another id, and may
/// even count its `config_version` from where the old one stood.
#[derive(Debug, Clone)]
pub struct EnvSnapshot {
    pub env_id: i64,
    pub snapshot: Arc<Snapshot>,
}

/// project key → environment key → snapshot. Nested so that a request looks
/// up by `&str` without allocating a key.
type Map = HashMap<String, HashMap<String, EnvSnapshot>>;

pub struct Snapshots {
    map: ArcSwap<Map>,
    /// Counts the snapshots built, for whoever waits for one (tests of other processes'
    /// changes reaching this one).
    built: tokio::sync::watch::Sender<u64>,
}

impl Default for Snapshots {
    fn default() -> Snapshots {
        Snapshots { map: ArcSwap::default(), built: tokio::sync::watch::Sender::new(0) }
    }
}

impl std::fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let environments: usize = self.map.load().values().map(HashMap::len).sum();
        f.debug_struct("Snapshots").field("environments", &environments).finish()
    }
}

impl Snapshots {
    /// Sees a new value each time a snapshot is built.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.built.subscribe()
    }

    /// The environment's snapshot, built on first use; `NotFound` when there is
    /// no such environment.
    pub async fn get(
        &self,
        store: &Store,
        project: &str,
        env: &str,
    ) -> Result<EnvSnapshot, StoreError> {
        if let Some(s) = self.map.load().get(project).and_then(|envs| envs.get(env)) {
            return Ok(s.clone());
        }
        self.refresh(store, project, env).await
    }

    /// Rebuilds one environment's snapshot from the store and swaps it in. An
    /// environment that no longer exists is forgotten (and `NotFound` returned).
    pub async fn refresh(
        &self,
        store: &Store,
        project: &str,
        env: &str,
    ) -> Result<EnvSnapshot, StoreError> {
        let contents = match store.environment_contents(project, env).await {
            Ok(contents) => contents,
            Err(StoreError::NotFound) => {
                self.forget(project, env);
                return Err(StoreError::NotFound);
            }
            Err(e) => return Err(e),
        };
        let built = EnvSnapshot {
            env_id: contents.env_id,
            snapshot: Arc::new(Snapshot::build(
                contents.version as u64,
                contents.flags.iter().map(|(f, c)| (f, c)),
                contents.segments.iter(),
            )),
        };
        for issue in built.snapshot.issues() {
            tracing::warn!(project, env, ?issue, "a flag or segment cannot be evaluated as stored");
        }
        Ok(self.install(project, env, built))
    }

    /// Takes in a change to one flag of one environment, made through this process: when the
    /// cached snapshot is exactly one change behind the database (this one), only that flag is
    /// read and compiled again and every other compiled flag is shared with the cached
    /// snapshot; otherwise (another change in between, the environment re-created) the
    /// environment is rebuilt as [`Snapshots::refresh`] does. An environment not cached is
    /// left to be built on first use (`None`).
    pub async fn refresh_flag(
        &self,
        store: &Store,
        project: &str,
        env: &str,
        key: &str,
    ) -> Result<Option<EnvSnapshot>, StoreError> {
        let Some(cached) = self.map.load().get(project).and_then(|envs| envs.get(env)).cloned()
        else {
            return Ok(None);
        };
        let read = match store.environment_flag(project, env, key).await {
            Ok(read) => read,
            Err(StoreError::NotFound) => {
                self.forget(project, env);
                return Err(StoreError::NotFound);
            }
            Err(e) => return Err(e),
        };
        let version = read.version as u64;
        if read.env_id != cached.env_id || Some(version) != cached.snapshot.version().checked_add(1)
        {
            return self.refresh(store, project, env).await.map(Some);
        }
        let snapshot = match &read.flag {
            Some((flag, config)) => cached.snapshot.with_flag(version, flag, config),
            None => cached.snapshot.without_flag(version, key),
        };
        let subject = tether_flags::Subject::Flag(key.to_owned());
        for issue in snapshot.issues().iter().filter(|i| i.subject == subject) {
            tracing::warn!(project, env, ?issue, "a flag cannot be evaluated as stored");
        }
        let built = EnvSnapshot { env_id: read.env_id, snapshot: Arc::new(snapshot) };
        Ok(Some(self.install(project, env, built)))
    }

    /// Swaps a built snapshot in (unless a newer one of the same environment is there already)
    /// and answers the one now cached.
    fn install(&self, project: &str, env: &str, built: EnvSnapshot) -> EnvSnapshot {
        self.map.rcu(|map| {
            let mut next = Map::clone(map);
            let envs = next.entry(project.to_owned()).or_default();
            // Never replace a newer snapshot of the same environment with an
            // older one (two refreshes racing).
            let newer = envs.get(env).is_some_and(|s| {
                s.env_id == built.env_id && s.snapshot.version() > built.snapshot.version()
            });
            if !newer {
                envs.insert(env.to_owned(), built.clone());
            }
            next
        });
        self.built.send_modify(|n| *n = n.wrapping_add(1));
        self.map.load().get(project).and_then(|envs| envs.get(env)).cloned().unwrap_or(built)
    }

    /// Drops one environment's snapshot (it was deleted).
    pub fn forget(&self, project: &str, env: &str) {
        let cached = |map: &Map| map.get(project).is_some_and(|envs| envs.contains_key(env));
        if !cached(&self.map.load()) {
            return;
        }
        self.map.rcu(|map| {
            let mut next = Map::clone(map);
            if let Some(envs) = next.get_mut(project) {
                envs.remove(env);
                if envs.is_empty() {
                    next.remove(project);
                }
            }
            next
        });
    }

    /// Rebuilds every cached environment of a project (after a change to it);
    /// environments deleted meanwhile are forgotten.
    pub async fn refresh_project(&self, store: &Store, project: &str) -> Result<(), StoreError> {
        let cached: Vec<String> = self
            .map
            .load()
            .get(project)
            .map(|envs| envs.keys().cloned().collect())
            .unwrap_or_default();
        for env in cached {
            match self.refresh(store, project, &env).await {
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Brings every cached snapshot up to date with the database: rebuilds
    /// those whose `config_version` moved or whose environment was re-created
    /// under the same key, and forgets environments that no longer exist. An
    /// environment created meanwhile needs nothing: its snapshot is built on
    /// first use. Returns how many were rebuilt.
    pub async fn tick(&self, store: &Store) -> Result<usize, StoreError> {
        let versions = store.environment_versions().await?;
        let current: HashMap<(String, String), (i64, u64)> = versions
            .into_iter()
            .map(|v| ((v.project, v.env), (v.env_id, v.version as u64)))
            .collect();
        let is_current = |p: &str, e: &str| current.get(&(p.to_owned(), e.to_owned())).copied();
        let stale: Vec<(String, String)> = self
            .map
            .load()
            .iter()
            .flat_map(|(p, envs)| envs.iter().map(move |(e, s)| (p, e, s)))
            .filter(|(p, e, s)| {
                is_current(p, e).is_some_and(|(id, v)| id != s.env_id || v != s.snapshot.version())
            })
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
        let mut rebuilt = 0;
        for (project, env) in &stale {
            match self.refresh(store, project, env).await {
                Ok(_) => rebuilt += 1,
                // Deleted since the versions were read.
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(rebuilt)
    }
}
