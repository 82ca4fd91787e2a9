//! A DynamoDB emulator of one test's own (the moto server `tests/emulator/with-dynamodb`
//! starts, on another free port), for faults that act on the process itself — paused with
//! SIGSTOP and resumed with SIGCONT — without stalling the other tests' emulator.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running emulator; killed when dropped.
pub struct Emulator {
    child: Child,
    endpoint: String,
}

impl Emulator {
    /// Starts `tests/emulator/dynamodb_server.py` with the project's virtualenv
    /// (`MODELWATCH_EMULATOR_PYTHON`, as with-dynamodb reads it) and waits until moto
    /// answers on its port. The free port is found by binding and letting go, so another
    /// test's server may take it first: the emulator then exits, and it is started again on
    /// another port (something else listening there must not pass for it).
    pub async fn start() -> Result<Self, String> {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once().await {
                Ok(emulator) => return Ok(emulator),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn start_once() -> Result<Self, String> {
        let here = env!("CARGO_MANIFEST_DIR");
        let python = std::env::var("MODELWATCH_EMULATOR_PYTHON")
            .unwrap_or_else(|_| format!("{here}/../.venv/bin/python"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let child = Command::new(&python)
            .arg(format!("{here}/emulator/dynamodb_server.py"))
            .args(["127.0.0.1", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting the emulator with {python} (make emulator): {e}"))?;
        let mut emulator = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = emulator.child.try_wait() {
                return Err(format!(
                    "the emulator on port {port} exited ({status}): the port was taken"
                ));
            }
            if moto_answers(port).await {
                return Ok(emulator);
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "the emulator on port {port} did not answer in 60 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Stops the process where it is (SIGSTOP): connections are still accepted by the
    /// kernel, and nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets it run again (SIGCONT): it serves what queued up meanwhile.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status();
        assert!(
            status.as_ref().is_ok_and(|s| s.success()),
            "kill {which} {}: {status:?}",
            self.child.id()
        );
    }
}

/// Whether moto's own API answers 200 on `port` (what with-dynamodb waits for too).
async fn moto_answers(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let request = b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.is_ok()
        && (head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
