//! One low-priority thread for bulk background work (expanding an alert to thousands
//! of patients). On a busy machine requests come first: the thread runs at the lowest
//! CPU priority (nice 19 on Linux), so a doctor's status change or a booking is never
//! slowed by the fan-out it started (docs/decisions/0012-background-priority.md).

use std::sync::mpsc;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Background {
    jobs: mpsc::Sender<Job>,
}

impl Background {
    /// Starts the thread; it ends when the last handle is dropped.
    pub fn start() -> Background {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("background".into())
            .spawn(move || {
                lower_priority();
                for job in queue {
                    job();
                }
            })
            .expect("the background thread starts");
        Background { jobs }
    }

    /// Runs `f` on the thread and waits for it without blocking the async worker.
    /// `None` when the thread is gone.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move || {
                let _entered = span.enter();
                let _ = tx.send(f());
            }))
            .ok()?;
        rx.await.ok()
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // Raising one's own nice value needs no privilege; it applies to this thread only.
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), 19) {
        tracing::debug!(error = %e, "background thread keeps normal priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_in_order_at_the_lowest_priority() {
        let bg = Background::start();
        let first = bg.run(|| 1).await;
        let second = bg.run(|| 2).await;
        assert_eq!((first, second), (Some(1), Some(2)));
        #[cfg(target_os = "linux")]
        {
            let nice = bg
                .run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(nice, 19);
        }
    }
}
