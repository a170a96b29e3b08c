//! A bounded pool of threads that run jobs: the thread pool of the Rust
//! book's web server, grown on demand and hardened.
//!
//! Each accepted connection is one job, and a job keeps its thread for as
//! long as the connection is open: a blocking worker parked in `read()`
//! serves nobody else. So the pool does not start a fixed number of
//! threads; it starts a thread only when no idle one is there to take the
//! job, up to `max_threads`, and keeps every thread it started for reuse.
//! Threads get small stacks, so hundreds of mostly idle kept-alive
//! connections cost little memory.
//!
//! The same pool, named `probe` and with smaller stacks still, keeps the
//! threads that probe a scrape's targets: there a job is a round's
//! share of targets.
//!
//! A job that panics is caught: the thread logs it and goes on to the next
//! job. Dropping the pool closes the queue and joins every thread.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crate::log;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The stack size of a pool thread. Serving a connection and rendering a
/// scrape need little stack: buffers and the exposition live on the heap.
pub const STACK_SIZE: usize = 256 * 1024;

/// Threads that run jobs, started on demand up to a bound and kept for
/// reuse.
pub struct ThreadPool {
    /// `None` once the pool is being dropped: closing the channel is what
    /// tells the threads to stop.
    sender: Option<Sender<Job>>,
    receiver: Arc<Mutex<Receiver<Job>>>,
    /// How many threads are waiting for a job right now.
    idle: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
    max_threads: usize,
    /// The threads' name, numbered: `worker-0`, `probe-3`.
    name: &'static str,
    /// The stack of each thread, in bytes: [`STACK_SIZE`] unless set.
    stack_size: usize,
}

impl ThreadPool {
    /// A pool that will run at most `max_threads` jobs at once; more wait
    /// in a queue. No thread is started until the first job arrives.
    pub fn new(max_threads: usize) -> ThreadPool {
        ThreadPool::named("worker", max_threads)
    }

    /// Like [`ThreadPool::new`], with threads named `NAME-N`.
    pub fn named(name: &'static str, max_threads: usize) -> ThreadPool {
        let (sender, receiver) = mpsc::channel();
        ThreadPool {
            name,
            sender: Some(sender),
            receiver: Arc::new(Mutex::new(receiver)),
            idle: Arc::new(AtomicUsize::new(0)),
            threads: Vec::new(),
            max_threads: max_threads.max(1),
            stack_size: STACK_SIZE,
        }
    }

    /// The same pool, whose threads get `bytes` of stack each.
    pub fn with_stack_size(mut self, bytes: usize) -> ThreadPool {
        self.stack_size = bytes;
        self
    }

    /// Sets a thread aside for one job: an idle one, or a new one if none
    /// is idle and the pool is below its bound. At the bound the job will
    /// wait in the queue for the next thread to finish, which is soon,
    /// because the caller bounds its jobs by the pool's size.
    ///
    /// Fails when no thread is idle and none can be started (a process
    /// or cgroup limit on threads): the job would wait for ever, so the
    /// caller should refuse it instead.
    pub fn reserve(&mut self) -> io::Result<Reserved<'_>> {
        let claimed_idle_thread = self
            .idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        let starts_a_thread = !claimed_idle_thread && self.threads.len() < self.max_threads;
        if starts_a_thread {
            self.spawn_thread()?;
        }
        let holds_a_thread = claimed_idle_thread || starts_a_thread;
        Ok(Reserved { pool: self, holds_a_thread })
    }

    /// Queues a job on a thread set aside for it, or on the next thread
    /// that is free if none can be: the Rust book's call, kept for the
    /// tests. The server and the rounds [`reserve`](Self::reserve) first
    /// instead, so that they can refuse a job no thread will take.
    #[cfg(test)]
    pub fn execute(&mut self, job: impl FnOnce() + Send + 'static) {
        if let Ok(thread) = self.reserve() {
            return thread.run(job);
        }
        self.send(Box::new(job));
    }

    /// Queues a job for the next free thread; after [`ThreadPool::join`]
    /// it is dropped.
    fn send(&self, job: Job) {
        if let Some(sender) = &self.sender {
            // Sending fails only when the receiver is gone, and the pool
            // itself holds it for as long as the pool lives.
            let _ = sender.send(job);
        }
    }

    /// How many threads the pool has started so far.
    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    fn spawn_thread(&mut self) -> io::Result<()> {
        let receiver = Arc::clone(&self.receiver);
        let idle = Arc::clone(&self.idle);
        let handle = thread::Builder::new()
            .name(format!("{}-{}", self.name, self.threads.len()))
            .stack_size(self.stack_size)
            .spawn(move || run_jobs(&receiver, &idle))?;
        self.threads.push(handle);
        Ok(())
    }
}

/// A thread of the pool set aside for one job by [`ThreadPool::reserve`].
/// Dropped without running a job, it goes back to being idle.
#[must_use = "a reserved thread does nothing until `run` is called"]
pub struct Reserved<'a> {
    pool: &'a mut ThreadPool,
    /// False at the bound, when the job will wait for a thread to finish.
    holds_a_thread: bool,
}

impl Reserved<'_> {
    /// Runs `job` on the reserved thread.
    pub fn run(mut self, job: impl FnOnce() + Send + 'static) {
        self.holds_a_thread = false; // The job takes the thread.
        self.pool.send(Box::new(job));
    }
}

impl Drop for Reserved<'_> {
    fn drop(&mut self) {
        // The thread, claimed idle or just started, waits for a job.
        if self.holds_a_thread {
            self.pool.idle.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// The loop of one pool thread: take a job, run it, mark itself idle.
fn run_jobs(receiver: &Mutex<Receiver<Job>>, idle: &AtomicUsize) {
    loop {
        // The guard is a temporary of this statement, so the lock is
        // released before the job runs and other threads can take jobs.
        let message = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = message else {
            return; // The pool is being dropped.
        };
        if panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
            log::error("a job panicked; the worker goes on", &[]);
        }
        idle.fetch_add(1, Ordering::AcqRel);
    }
}

impl ThreadPool {
    /// Closes the queue and waits for every thread to finish its job.
    /// Jobs queued later are dropped unrun.
    pub fn join(&mut self) {
        drop(self.sender.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn runs_every_job_and_joins_on_drop() {
        let counter = Arc::new(AtomicUsize::new(0));
        let mut pool = ThreadPool::new(4);
        for _ in 0..100 {
            let counter = Arc::clone(&counter);
            pool.execute(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
        drop(pool);
        assert_eq!(counter.load(Ordering::SeqCst), 100);
    }

    #[test]
    fn reuses_idle_threads_instead_of_starting_new_ones() {
        let mut pool = ThreadPool::new(8);
        for _ in 0..20 {
            let (done_tx, done_rx) = channel();
            pool.execute(move || done_tx.send(()).unwrap());
            done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            // The thread marks itself idle after the job returns, and no
            // channel tells when; so poll, for a bounded time.
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while pool.idle.load(Ordering::SeqCst) == 0 {
                assert!(std::time::Instant::now() < deadline, "the thread never became idle");
                thread::sleep(Duration::from_millis(1));
            }
        }
        assert_eq!(pool.thread_count(), 1);
    }

    #[test]
    fn never_starts_more_than_the_bound() {
        let mut pool = ThreadPool::new(3);
        let (release_tx, release_rx) = channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let (done_tx, done_rx) = channel();
        for _ in 0..6 {
            let release_rx = Arc::clone(&release_rx);
            let done_tx = done_tx.clone();
            pool.execute(move || {
                let _ = release_rx.lock().unwrap().recv_timeout(Duration::from_secs(10));
                done_tx.send(()).unwrap();
            });
        }
        assert_eq!(pool.thread_count(), 3);
        for _ in 0..6 {
            release_tx.send(()).unwrap();
        }
        for _ in 0..6 {
            done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
    }

    #[test]
    fn a_panicking_job_does_not_kill_its_thread() {
        // One thread at most: the second job can run only if the thread
        // that ran the first survived its panic.
        let mut pool = ThreadPool::new(1);
        pool.execute(|| panic!("boom"));
        let (done_tx, done_rx) = channel();
        pool.execute(move || done_tx.send(()).unwrap());
        let second_job = done_rx.recv_timeout(Duration::from_secs(10));
        assert!(second_job.is_ok(), "the job after a panic never ran");
    }
}
