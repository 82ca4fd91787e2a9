//! A loopback TCP proxy between the functions and the DynamoDB emulator, which a test cuts
//! (every connection closed, new ones closed as they open: DynamoDB unreachable) or stalls
//! (connections accepted and held, nothing forwarded either way: DynamoDB not answering),
//! then restores — an outage of the table without touching the emulator or its data.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Forwards both ways.
    Up,
    /// Closes every connection, open or new.
    Cut,
    /// Holds every connection, open or new, forwarding nothing; they are closed when the
    /// link changes again (their callers have given up by then).
    Stalled,
}

/// A running proxy; stops (closing its connections) when dropped.
pub struct Proxy {
    addr: SocketAddr,
    link: watch::Sender<Link>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let target: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("proxy upstream {upstream:?} is not http://IP:PORT: {e}"),
                )
            })?;
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (link, watching) = watch::channel(Link::Up);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(relay(client, target, watching.clone()));
                // Reap finished connections so the set does not grow with the run.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self { addr, link, task })
    }

    /// `http://127.0.0.1:PORT`: the endpoint to give the functions' DynamoDB client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, link: Link) {
        self.link.send_replace(link);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection, for as long as the link allows.
async fn relay(mut client: TcpStream, target: SocketAddr, mut link: watch::Receiver<Link>) {
    let now = *link.borrow_and_update();
    match now {
        Link::Up => {}
        Link::Cut => return,
        Link::Stalled => {
            let _ = link.changed().await;
            return;
        }
    }
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let stalled = tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
        down = link.wait_for(|l| *l != Link::Up) => down.is_ok_and(|l| *l == Link::Stalled),
    };
    // Stalled: both sockets stay open and silent until the link changes again.
    if stalled {
        let _ = link.changed().await;
    }
}
