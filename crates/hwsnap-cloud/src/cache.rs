//! [`ListCache`]: one list per key (a CSS or DWS cluster) shared by every caller in
//! the process, and [`Fresh`], how recent a caller needs it.
//!
//! - Concurrent callers join one request: the first fetches while holding
//!   the key's slot; the others wait for the slot and take that result when
//!   it is fresh enough for them.
//! - A result is reused while it is fresh enough for the caller: a read may
//!   take a list a few seconds old ([`Fresh::Within`]); a wait demands one
//!   started after its last look ([`Fresh::Since`]).
//! - [`ListCache::invalidate`] (this client's own create, delete or restore
//!   on that cluster) makes every list started before it unusable, so a
//!   stale list is never proof that a snapshot is gone or ready.
//! - Errors that are the cloud's answer (the cluster is gone, the
//!   signature refused) are shared like lists; a caller's own cancellation
//!   or deadline is not.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, LastSeen};
use crate::scope::Scope;

/// How recent a list must be for a caller, measured from when the list's
/// request was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fresh {
    /// Started no longer ago than this; [`Duration::ZERO`] asks for a new
    /// list.
    Within(Duration),
    /// Started at or after this instant.
    Since(Instant),
}

impl Fresh {
    /// The earliest start a list may have, seen `now`.
    fn not_before(self, now: Instant) -> Option<Instant> {
        match self {
            Fresh::Within(age) => now.checked_sub(age),
            Fresh::Since(at) => Some(at),
        }
    }
}

/// A fetched list (or the cloud's refusal), and when its request started.
struct Fetched<T> {
    started: Instant,
    result: Result<Arc<[T]>, Error>,
}

struct Entry<T> {
    /// Lists started before this are unusable (set by `invalidate`).
    floor: Mutex<Option<Instant>>,
    /// The last result; locked while a fetch runs, so callers queue behind it.
    slot: tokio::sync::Mutex<Option<Fetched<T>>>,
}

impl<T> Entry<T> {
    fn floor(&self) -> Option<Instant> {
        *self.floor.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Lists shared per key; see the module doc.
pub(crate) struct ListCache<T> {
    entries: Mutex<HashMap<String, Arc<Entry<T>>>>,
}

impl<T> Default for ListCache<T> {
    fn default() -> Self {
        ListCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> ListCache<T> {
    fn entry(&self, key: &str) -> Arc<Entry<T>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Entry {
                    floor: Mutex::new(None),
                    slot: tokio::sync::Mutex::new(None),
                })
            })
            .clone()
    }

    /// Makes every list of `key` started before now unusable.
    pub(crate) fn invalidate(&self, key: &str) {
        let entry = self.entry(key);
        *entry.floor.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Makes every list of every key started before now unusable (for a
    /// change whose key is not known, such as a DWS delete by ID).
    pub(crate) fn invalidate_all(&self) {
        let now = Instant::now();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for entry in entries.values() {
            *entry.floor.lock().unwrap_or_else(|p| p.into_inner()) = Some(now);
        }
    }

    /// The list of `key` fresh enough for `fresh`: the shared one, or one
    /// `fetch`ed now (joining a fetch already running). Waiting for another
    /// caller's fetch is bounded by `scope` like a request; `operation`
    /// names the list in the deadline error.
    pub(crate) async fn get<F, Fut>(
        &self,
        key: &str,
        fresh: Fresh,
        scope: &Scope,
        operation: &str,
        fetch: F,
    ) -> Result<Arc<[T]>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, Error>>,
    {
        let entry = self.entry(key);
        let asked = Instant::now();
        let wanted = fresh.not_before(asked);
        let out_of_time = || Error::DeadlineExceeded {
            operation: operation.to_owned(),
            waited: asked.elapsed(),
            attempts: 0,
            last: Box::new(LastSeen::Nothing),
            may_have_created: false,
        };
        let deadline = async {
            match scope.deadline() {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let mut slot = tokio::select! {
            biased;
            () = scope.cancel().cancelled() => return Err(Error::Cancelled),
            () = deadline => return Err(out_of_time()),
            slot = entry.slot.lock() => slot,
        };
        let not_before = match (wanted, entry.floor()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(fetched) = slot
            .as_ref()
            .filter(|f| not_before.is_none_or(|at| f.started >= at))
        {
            return fetched.result.clone();
        }
        let started = Instant::now();
        let result: Result<Arc<[T]>, Error> = fetch().await.map(Arc::from);
        let shared = match &result {
            Ok(_) => true,
            Err(err) => err.is_answer(),
        };
        if shared {
            *slot = Some(Fetched {
                started,
                result: result.clone(),
            });
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use tokio_util::sync::CancellationToken;

    use super::*;

    fn scope() -> Scope {
        Scope::new(CancellationToken::new())
    }

    /// A fetch that counts itself and takes 100 ms (of paused time).
    fn counting(calls: &Arc<AtomicU32>) -> impl Future<Output = Result<Vec<u32>, Error>> {
        let calls = calls.clone();
        async move {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(vec![n])
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_join_one_fetch() {
        let cache = Arc::new(ListCache::<u32>::default());
        let calls = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(
                        "c",
                        Fresh::Within(Duration::from_secs(2)),
                        &scope(),
                        "list",
                        || counting(&calls),
                    )
                    .await
            }));
        }
        for task in tasks {
            let got = task.await.ok().and_then(Result::ok).unwrap_or_default();
            assert_eq!(&*got, &[0]);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn reuse_lasts_as_long_as_the_caller_allows() {
        let cache = ListCache::<u32>::default();
        let calls = Arc::new(AtomicU32::new(0));
        let within = Fresh::Within(Duration::from_secs(2));
        let scope = scope();
        let get = |fresh| cache.get("c", fresh, &scope, "list", || counting(&calls));
        assert_eq!(&*get(within).await.unwrap_or_default(), &[0]);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(&*get(within).await.unwrap_or_default(), &[0]);
        // A wait that looked after the list started needs a newer one.
        let since = Fresh::Since(Instant::now());
        assert_eq!(&*get(since).await.unwrap_or_default(), &[1]);
        tokio::time::advance(Duration::from_secs(3)).await;
        assert_eq!(&*get(within).await.unwrap_or_default(), &[2]);
        // Zero age always lists again.
        assert_eq!(
            &*get(Fresh::Within(Duration::ZERO)).await.unwrap_or_default(),
            &[3]
        );
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn invalidation_makes_older_lists_unusable_even_in_flight() {
        let cache = Arc::new(ListCache::<u32>::default());
        let calls = Arc::new(AtomicU32::new(0));
        let long = Fresh::Within(Duration::from_secs(3600));
        let (c2, k2) = (cache.clone(), calls.clone());
        // A list starts, then this client deletes something while it runs.
        let early =
            tokio::spawn(
                async move { c2.get("c", long, &scope(), "list", || counting(&k2)).await },
            );
        tokio::time::sleep(Duration::from_millis(10)).await;
        cache.invalidate("c");
        let later = cache
            .get("c", long, &scope(), "list", || counting(&calls))
            .await;
        assert_eq!(
            early.await.ok().and_then(Result::ok).as_deref(),
            Some(&[0][..])
        );
        // The late caller did not take the list that started before the delete.
        assert_eq!(later.as_deref().ok(), Some(&[1][..]));
        // Other keys are untouched.
        cache.invalidate("other");
        assert_eq!(
            cache
                .get("c", long, &scope(), "list", || counting(&calls))
                .await
                .as_deref()
                .ok(),
            Some(&[1][..])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_shared_but_a_callers_own_failures_are_not() {
        let cache = ListCache::<u32>::default();
        let calls = Arc::new(AtomicU32::new(0));
        let long = Fresh::Within(Duration::from_secs(60));
        let gone = || Error::NotFound {
            what: "CSS cluster c".to_owned(),
            code: Some("CSS.0015".to_owned()),
            request_id: None,
        };
        let fail = |err: Error| {
            let calls = calls.clone();
            move || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(err)
            }
        };
        assert_eq!(
            cache.get("c", long, &scope(), "l", fail(gone())).await,
            Err(gone())
        );
        assert_eq!(
            cache.get("c", long, &scope(), "l", fail(gone())).await,
            Err(gone())
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            cache
                .get("d", long, &scope(), "l", fail(Error::Cancelled))
                .await,
            Err(Error::Cancelled)
        );
        assert_eq!(
            cache
                .get("d", long, &scope(), "l", fail(Error::Cancelled))
                .await,
            Err(Error::Cancelled)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_for_another_fetch_respects_the_deadline() {
        let cache = Arc::new(ListCache::<u32>::default());
        let c2 = cache.clone();
        let _slow = tokio::spawn(async move {
            c2.get(
                "c",
                Fresh::Within(Duration::ZERO),
                &scope(),
                "list",
                || async {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                    Ok(vec![1])
                },
            )
            .await
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        let bounded = scope().with_deadline(Instant::now() + Duration::from_secs(5));
        let started = Instant::now();
        let out = cache
            .get(
                "c",
                Fresh::Within(Duration::ZERO),
                &bounded,
                "list CSS snapshots",
                || async { Ok(vec![2]) },
            )
            .await;
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert!(
            matches!(out, Err(Error::DeadlineExceeded { .. })),
            "{out:?}"
        );
    }
}
