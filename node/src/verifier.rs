//! Signature work off the async workers and off the consensus driver: a bounded pool.
//!
//! Checking signatures is the most expensive thing a node does for a stranger. Done on a Tokio
//! worker it delays every other request, the event streams and the consensus network actors
//! (which share those workers); done on the driver thread it delays votes. So the REST layer's
//! admissions and the peers' transaction batches are checked here, on at most
//! [`VerifyPool::threads`] blocking threads at once, with at most `jobs_max` jobs waiting or
//! running: beyond that a client is told `503 BUSY` and a peer's batch is dropped (its
//! transactions reach this node again in the block that carries them, verified there).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use thiserror::Error;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

/// Jobs (requests or peer batches) waiting for the pool or running in it, at most.
pub const VERIFY_JOBS_MAX: usize = 64;

/// The pool is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the node is busy checking signatures ({jobs_max} jobs waiting); try again shortly")]
pub struct Busy {
    pub jobs_max: usize,
}

/// A bounded pool of blocking threads for signature checks. Cheap to share (`Arc` inside).
#[derive(Debug, Clone)]
pub struct VerifyPool {
    threads: usize,
    jobs_max: usize,
    permits: Arc<Semaphore>,
    jobs: Arc<AtomicUsize>,
    runtime: Handle,
}

/// One job's place in the pool ([`VerifyPool::reserve`]); freed when dropped, whatever happens
/// to the job.
#[derive(Debug)]
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl VerifyPool {
    /// A pool on the current Tokio runtime. `threads` 0 = one less than the machine's cores,
    /// at least one, so that consensus always has a core the pool cannot take.
    pub fn new(threads: usize, jobs_max: usize) -> Self {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1)
        } else {
            threads
        };
        VerifyPool {
            threads,
            jobs_max: jobs_max.max(1),
            permits: Arc::new(Semaphore::new(threads)),
            jobs: Arc::new(AtomicUsize::new(0)),
            runtime: Handle::current(),
        }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Jobs waiting or running now.
    pub fn jobs(&self) -> usize {
        self.jobs.load(Ordering::Acquire)
    }

    /// A place for one job, to be run with [`Self::spawn_in`]; [`Busy`] when the pool is full.
    pub fn reserve(&self) -> Result<Slot, Busy> {
        let taken = self
            .jobs
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < self.jobs_max).then_some(n + 1));
        match taken {
            Ok(_) => Ok(Slot(self.jobs.clone())),
            Err(_) => Err(Busy { jobs_max: self.jobs_max }),
        }
    }

    /// Runs `job` on a blocking thread once one of the pool's threads is free, and returns its
    /// result; [`Busy`] at once when `jobs_max` jobs are already waiting or running.
    pub async fn run<R, F>(&self, job: F) -> Result<R, Busy>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let slot = self.reserve()?;
        let busy = Busy { jobs_max: self.jobs_max };
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| busy)?;
        let result = tokio::task::spawn_blocking(move || {
            let _held = (permit, slot);
            job()
        })
        .await;
        // The job does not panic (signature checks return verdicts); if it ever did, the
        // request fails as if the pool were busy rather than taking the worker down.
        result.map_err(|_| busy)
    }

    /// Queues `job` from a thread outside the runtime (the consensus driver) and returns at
    /// once; [`Busy`] when the pool is full, and the job is then not run.
    pub fn spawn<F>(&self, job: F) -> Result<(), Busy>
    where
        F: FnOnce() + Send + 'static,
    {
        let slot = self.reserve()?;
        self.spawn_in(slot, job);
        Ok(())
    }

    /// Queues `job` in a place reserved before ([`Self::reserve`]), from any thread.
    pub fn spawn_in<F>(&self, slot: Slot, job: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let permits = self.permits.clone();
        self.runtime.spawn(async move {
            let Ok(permit) = permits.acquire_owned().await else { return };
            let _ = tokio::task::spawn_blocking(move || {
                let _held = (permit, slot);
                job()
            })
            .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_pool_refuses_and_frees_its_slots_when_jobs_end() {
        let pool = VerifyPool::new(1, 2);
        assert_eq!(pool.threads(), 1);
        let (release, wait) = mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        // Two jobs fill the pool: one runs (blocked on the channel), one waits for the thread.
        for _ in 0..2 {
            let wait = wait.clone();
            pool.spawn(move || {
                let _ = wait.lock().map(|w| w.recv_timeout(Duration::from_secs(10)));
            })
            .expect("room for two jobs");
        }
        assert_eq!(pool.jobs(), 2);
        assert_eq!(pool.run(|| 1).await, Err(Busy { jobs_max: 2 }));
        assert_eq!(pool.spawn(|| ()), Err(Busy { jobs_max: 2 }));
        for _ in 0..2 {
            release.send(()).expect("a job waits");
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while pool.jobs() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.jobs(), 0, "slots are freed when jobs end");
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_jobs_run_at_once_than_the_pool_has_threads() {
        let pool = VerifyPool::new(2, 16);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::AcqRel) + 1;
                    most.fetch_max(now, Ordering::AcqRel);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::AcqRel);
                })
                .await
            }
        });
        let results = futures::future::join_all(jobs).await;
        assert!(results.iter().all(Result::is_ok));
        assert!(most.load(Ordering::Acquire) <= 2, "at most two at once");
    }
}
